package dev.meshwork.grpc;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@code mesh} scheme: {@code mesh:///<service>[.<namespace>]} resolves, through a {@link
 * Mesh}, to every endpoint the service can route to, and follows the mesh as it changes. Registered
 * in {@code META-INF/services}; the mesh is the one {@link MeshGrpc#install} gave the channel, or
 * else {@link MeshGrpc#setDefaultMesh}'s.
 *
 * <p>Thread-safe; stateless.
 *
 * <pre>{@code
 * MeshGrpc.setDefaultMesh(mesh);
 * ManagedChannel channel =
 *     Grpc.newChannelBuilder("mesh:///reviews", InsecureChannelCredentials.create()).build();
 * }</pre>
 */
public final class MeshNameResolverProvider extends NameResolverProvider {

  /** The target scheme. */
  public static final String SCHEME = "mesh";

  static final NameResolver.Args.Key<Mesh> MESH = NameResolver.Args.Key.create("meshwork.mesh");

  static final NameResolver.Args.Key<Function<Endpoint, SocketAddress>> ADDRESSES =
      NameResolver.Args.Key.create("meshwork.endpoint-addresses");

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  public @Nullable NameResolver newNameResolver(URI target, NameResolver.Args args) {
    if (!SCHEME.equals(target.getScheme())) {
      return null;
    }
    Mesh mesh = args.getArg(MESH);
    Function<Endpoint, SocketAddress> addresses = args.getArg(ADDRESSES);
    return new MeshNameResolver(
        host(target),
        mesh != null ? mesh : MeshGrpc.defaultMesh(),
        addresses != null ? addresses : MeshNameResolverProvider::socketAddress,
        args);
  }

  /** The service host of a {@code mesh:///<service>[.<namespace>]} target. */
  static String host(URI target) {
    String path = target.getPath();
    if (!SCHEME.equals(target.getScheme())
        || path == null
        || path.length() < 2
        || path.indexOf('/', 1) >= 0) {
      throw new IllegalArgumentException(
          "target: \"" + target + "\" (expected mesh:///<service>[.<namespace>])");
    }
    return path.substring(1);
  }

  /**
   * Endpoint addresses are IP literals or host names; literals become addresses without a lookup,
   * names stay unresolved for the transport to resolve when it connects.
   */
  static SocketAddress socketAddress(Endpoint e) {
    String host = e.host();
    if (isIpLiteral(host)) {
      try {
        return new InetSocketAddress(InetAddress.getByName(host), e.port());
      } catch (UnknownHostException impossible) {
        // not reached for literals
      }
    }
    return InetSocketAddress.createUnresolved(host, e.port());
  }

  private static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c != '.' && (c < '0' || c > '9')) {
        return false;
      }
    }
    return !host.isEmpty();
  }

  /**
   * Declares no address type: endpoints become {@link InetSocketAddress}es, unless the channel was
   * given another mapping (tests and benchmarks map them to in-process addresses), so every
   * transport stays eligible.
   */
  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return Set.of();
  }
}
