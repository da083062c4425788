package dev.meshwork.grpc;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshSnapshot;
import dev.meshwork.ServiceName;
import dev.meshwork.TransportSecurity;
import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.jspecify.annotations.Nullable;

/**
 * Resolves {@code mesh:///<service>[.<namespace>]} to the addresses of every endpoint the service
 * can route to (all backends of all its routes), and reports again whenever the mesh publishes a
 * snapshot that changes them. The result names the {@code meshwork} load balancing policy and
 * carries the mesh to it.
 */
final class MeshNameResolver extends NameResolver {

  static final Attributes.Key<Mesh> MESH = Attributes.Key.create("meshwork.mesh");
  static final Attributes.Key<String> HOST = Attributes.Key.create("meshwork.host");

  /** The endpoint authority of an address group, which the load balancer keys connections by. */
  @EquivalentAddressGroup.Attr
  static final Attributes.Key<String> ENDPOINT = Attributes.Key.create("meshwork.endpoint");

  /**
   * Whether connections to an address group use mTLS; set on every group when the service's mode is
   * not {@code DISABLED}. {@link PerEndpointCredentials} opens plaintext connections to groups
   * marked {@code false}, which only a {@code PERMISSIVE} endpoint without an expected identity is.
   */
  @EquivalentAddressGroup.Attr
  static final Attributes.Key<Boolean> MTLS = Attributes.Key.create("meshwork.mtls");

  private final String host;
  private final @Nullable Mesh mesh;
  private final Function<Endpoint, SocketAddress> addresses;
  private final SynchronizationContext syncContext;
  private final @Nullable ConfigOrError serviceConfig;
  private @Nullable Listener2 listener;
  private Mesh.@Nullable Subscription subscription;
  private @Nullable List<Endpoint> last;
  private boolean shutdown;

  MeshNameResolver(
      String host, @Nullable Mesh mesh, Function<Endpoint, SocketAddress> addresses, Args args) {
    this.host = host;
    this.mesh = mesh;
    this.addresses = addresses;
    this.syncContext = args.getSynchronizationContext();
    this.serviceConfig =
        args.getServiceConfigParser()
            .parseServiceConfig(
                Map.of(
                    "loadBalancingConfig",
                    List.of(Map.of(MeshLoadBalancerProvider.POLICY_NAME, Map.of()))));
  }

  @Override
  public String getServiceAuthority() {
    return host;
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    Mesh m = mesh;
    if (m == null) {
      listener.onError(
          Status.UNAVAILABLE.withDescription(
              "mesh:///"
                  + host
                  + ": no Mesh for this channel (use MeshGrpc.install(builder, mesh) or"
                  + " MeshGrpc.setDefaultMesh(mesh))"));
      return;
    }
    subscription = m.onSnapshot(s -> syncContext.execute(() -> update(m, s)));
  }

  private void update(Mesh m, MeshSnapshot snapshot) {
    Listener2 l = listener;
    if (shutdown || l == null) {
      return;
    }
    List<Endpoint> endpoints = snapshot.routableEndpoints(host);
    if (endpoints.equals(last)) {
      return;
    }
    last = endpoints;
    TransportSecurity.@Nullable Mode mode = mode(m);
    List<EquivalentAddressGroup> groups = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      Attributes.Builder attributes = Attributes.newBuilder().set(ENDPOINT, e.authority());
      if (mode != null && mode != TransportSecurity.Mode.DISABLED) {
        boolean mtls = mode == TransportSecurity.Mode.STRICT || mtls(m, e);
        attributes.set(MTLS, mtls);
        if (mtls) {
          // The TLS engine sees the endpoint as its peer, so the channel's trust manager knows
          // which identity to expect; calls keep the logical :authority (see
          // EndpointTrustManager).
          attributes.set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, e.authority());
        }
      }
      groups.add(new EquivalentAddressGroup(addresses.apply(e), attributes.build()));
    }
    ResolutionResult.Builder result =
        ResolutionResult.newBuilder()
            .setAddressesOrError(StatusOr.fromValue(groups))
            .setAttributes(Attributes.newBuilder().set(MESH, m).set(HOST, host).build());
    if (serviceConfig != null) {
      result.setServiceConfig(serviceConfig);
    }
    l.onResult2(result.build());
  }

  /** The mode of calls to this service, or null without transport security. */
  private TransportSecurity.@Nullable Mode mode(Mesh m) {
    TransportSecurity security = m.transportSecurity();
    if (security == null) {
      return null;
    }
    try {
      return security.mode(ServiceName.parse(host, m.defaultNamespace()));
    } catch (IllegalArgumentException notAServiceName) {
      return null;
    }
  }

  /**
   * Whether a {@code PERMISSIVE} endpoint gets mTLS: when it has an expected identity. An endpoint
   * that must use mTLS but cannot yet (no workload identity) is marked mTLS too, so its handshake
   * fails with the reason instead of falling back to plaintext.
   */
  private boolean mtls(Mesh m, Endpoint e) {
    TransportSecurity security = m.transportSecurity();
    if (security == null) {
      return false;
    }
    try {
      return security.serverIdentity(ServiceName.parse(host, m.defaultNamespace()), e) != null;
    } catch (SSLPeerUnverifiedException cannotYet) {
      return true;
    }
  }

  @Override
  public void refresh() {
    // Push-based: the mesh reports every change.
  }

  @Override
  public void shutdown() {
    shutdown = true;
    Mesh.Subscription s = subscription;
    if (s != null) {
      s.close();
    }
  }

  @Override
  public String toString() {
    return "MeshNameResolver{mesh:///" + host + "}";
  }
}
