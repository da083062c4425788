package dev.meshwork.grpc;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import io.grpc.ManagedChannelBuilder;
import java.net.SocketAddress;
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
 * <pre>{@code
 * ManagedChannel channel = MeshGrpc.install(
 *         Grpc.newChannelBuilder("mesh:///reviews", InsecureChannelCredentials.create()), mesh)
 *     .build();
 * ReviewsGrpc.newBlockingStub(channel).withDeadlineAfter(200, MILLISECONDS).get(request);
 * }</pre>
 */
public final class MeshGrpc {

  private static volatile @Nullable Mesh defaultMesh;

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
