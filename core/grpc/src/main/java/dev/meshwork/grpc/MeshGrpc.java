package dev.meshwork.grpc;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.TransportSecurity;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Puts grpc-java channels on the mesh with one call. A channel to {@code
 * mesh:///<service>[.<namespace>]} then resolves through the mesh, balances every RPC over the
 * service's endpoints (P2C over peak-EWMA), follows its routes and weighted splits, and retries
 * within the service's retry budget, which it shares with every other client of the same {@link
 * Mesh} (OkHttp included).
 *
 * <p>{@code install} also turns off gRPC's own retries on the channel: the mesh retries, and two
 * retry layers would multiply attempts. Thread-safe.
 *
 * <p>With {@linkplain Mesh.Builder#transportSecurity transport security}, {@link
 * #newChannelBuilder} (or {@link #channelCredentials}) gives the channel mTLS with the workload's
 * certificate, verifying every connection's server by the SPIFFE identity its endpoint is expected
 * to have, not by host name; {@link #serverCredentials} gives servers the same identity and
 * requires client certificates. A destination in {@code PERMISSIVE} mode gets, in the same channel,
 * mTLS to its endpoints with a known identity and plaintext to the others, as OkHttp clients do;
 * each endpoint's connection is negotiated by what the name resolver says it needs. That choice per
 * connection needs grpc-netty-shaded (the usual transport) on the class path, because grpc-java
 * offers it only through grpc-netty's internal hooks; with another transport a {@code PERMISSIVE}
 * channel is mTLS-only and refuses endpoints without a known identity. {@code STRICT} channels use
 * plain {@link TlsChannelCredentials} and work with any TLS transport.
 *
 * <pre>{@code
 * ManagedChannel channel = MeshGrpc.newChannelBuilder("mesh:///reviews", mesh).build();
 * Server server = Grpc.newServerBuilderForPort(8443, MeshGrpc.serverCredentials(mesh))
 *     .addService(ServerInterceptors.intercept(service, new MeshServerInterceptor(mesh)))
 *     .build();
 * }</pre>
 *
 * <pre>{@code
 * ManagedChannel channel = MeshGrpc.install(
 *         Grpc.newChannelBuilder("mesh:///reviews", InsecureChannelCredentials.create()), mesh)
 *     .build();
 * ReviewsGrpc.newBlockingStub(channel).withDeadlineAfter(200, MILLISECONDS).get(request);
 * }</pre>
 */
public final class MeshGrpc {

  private static final System.Logger LOG = System.getLogger(MeshGrpc.class.getName());

  private static volatile @Nullable Mesh defaultMesh;

  /**
   * Whether grpc-netty-shaded, with the hooks {@link PerEndpointCredentials} uses, is on the class
   * path; checked without loading that class, which links against it.
   */
  private static final boolean PER_ENDPOINT_CREDENTIALS = perEndpointCredentials();

  private MeshGrpc() {}

  /**
   * Configures {@code builder} (whose target is a {@code mesh:///} URI) to use {@code mesh}: its
   * name resolver, its load balancing policy and its interceptor.
   *
   * @return {@code builder}
   */
  public static <T extends ManagedChannelBuilder<?>> T install(T builder, Mesh mesh) {
    return install(builder, mesh, MeshNameResolverProvider::socketAddress);
  }

  /**
   * {@link #install(ManagedChannelBuilder, Mesh)} with endpoints mapped to socket addresses by
   * {@code addresses}, for transports that do not speak TCP (the in-process transport in tests and
   * benchmarks).
   */
  public static <T extends ManagedChannelBuilder<?>> T install(
      T builder, Mesh mesh, Function<Endpoint, SocketAddress> addresses) {
    Objects.requireNonNull(mesh, "mesh");
    Objects.requireNonNull(addresses, "addresses");
    builder
        .setNameResolverArg(MeshNameResolverProvider.MESH, mesh)
        .setNameResolverArg(MeshNameResolverProvider.ADDRESSES, addresses)
        .defaultLoadBalancingPolicy(MeshLoadBalancerProvider.POLICY_NAME)
        .disableRetry()
        .intercept(new MeshClientInterceptor(mesh));
    return builder;
  }

  /**
   * A channel builder for {@code target} ({@code mesh:///<service>[.<namespace>]}) with the mesh's
   * {@linkplain #channelCredentials credentials}, {@linkplain #install installed}.
   */
  public static ManagedChannelBuilder<?> newChannelBuilder(String target, Mesh mesh) {
    return install(Grpc.newChannelBuilder(target, channelCredentials(mesh, target)), mesh);
  }

  /**
   * The credentials of a channel to {@code target}: mTLS when the mesh has transport security and
   * the destination's mode is not {@code DISABLED}, presenting the workload certificate and
   * accepting on each connection only the identity its endpoint is expected to have; insecure
   * otherwise. In {@code PERMISSIVE} mode, with grpc-netty-shaded on the class path, connections to
   * endpoints without an expected identity are plaintext instead; these credentials are then
   * grpc-netty-shaded's and need its transport.
   */
  public static ChannelCredentials channelCredentials(Mesh mesh, String target) {
    String host = MeshNameResolverProvider.host(URI.create(target));
    TransportSecurity security = mesh.transportSecurity();
    TransportSecurity.Mode mode =
        security == null
            ? TransportSecurity.Mode.DISABLED
            : security.mode(ServiceName.parse(host, mesh.defaultNamespace()));
    if (security == null || mode == TransportSecurity.Mode.DISABLED) {
      return InsecureChannelCredentials.create();
    }
    ChannelCredentials tls =
        TlsChannelCredentials.newBuilder()
            .keyManager(security.keyManager())
            .trustManager(new EndpointTrustManager(mesh, security, host))
            .build();
    if (mode == TransportSecurity.Mode.PERMISSIVE && PER_ENDPOINT_CREDENTIALS) {
      try {
        return PerEndpointCredentials.create(tls);
      } catch (LinkageError internalApiChanged) {
        // A grpc-netty-shaded whose internal hooks differ from the checked version: mTLS-only.
        LOG.log(
            System.Logger.Level.WARNING,
            "{0}: PERMISSIVE falls back to mTLS for every endpoint; this grpc-netty-shaded lacks"
                + " the hooks that mix plaintext and mTLS in one channel: {1}",
            host,
            internalApiChanged.toString());
      }
    } else if (mode == TransportSecurity.Mode.PERMISSIVE) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0}: PERMISSIVE mixes plaintext and mTLS endpoints only over grpc-netty-shaded, which"
              + " is not on the class path; every endpoint gets mTLS",
          host);
    }
    return tls;
  }

  private static boolean perEndpointCredentials() {
    ClassLoader loader = MeshGrpc.class.getClassLoader();
    try {
      Class.forName(
          "io.grpc.netty.shaded.io.grpc.netty.InternalNettyChannelCredentials", false, loader);
      Class.forName("io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler", false, loader)
          .getMethod("getEagAttributes");
      return true;
    } catch (ClassNotFoundException | NoSuchMethodException | LinkageError absent) {
      return false;
    }
  }

  /**
   * Server credentials with the workload's identity, rotating with it, that require a client
   * certificate from the mesh's trust bundle carrying a SPIFFE ID. Pair with {@link
   * MeshServerInterceptor}, which makes the caller's identity available and enforces access policy.
   *
   * @throws IllegalStateException if the mesh was built without transport security
   */
  public static ServerCredentials serverCredentials(Mesh mesh) {
    TransportSecurity security = mesh.transportSecurity();
    if (security == null) {
      throw new IllegalStateException(
          "serverCredentials: the mesh has no transport security (expected"
              + " Mesh.Builder.transportSecurity(...))");
    }
    return TlsServerCredentials.newBuilder()
        .keyManager(security.keyManager())
        .trustManager(security.serverTrustManager())
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
  }

  /**
   * The mesh that {@code mesh:///} channels built without {@link #install} resolve through (the
   * Spring starter and the agent set it). Such channels route and balance every RPC but do not
   * retry: retries need the interceptor.
   */
  public static void setDefaultMesh(@Nullable Mesh mesh) {
    defaultMesh = mesh;
  }

  static @Nullable Mesh defaultMesh() {
    return defaultMesh;
  }
}
