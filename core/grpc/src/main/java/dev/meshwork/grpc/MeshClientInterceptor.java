package dev.meshwork.grpc;

import dev.meshwork.Mesh;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.util.Objects;

/**
 * Routes every RPC of a {@code mesh:///} channel through the {@link Mesh}: picks the route by full
 * method name and metadata (as an HTTP path and headers), the weighted backend, and bounds the call
 * by the earliest of the caller's gRPC deadline, the current {@link MeshContext}'s deadline and the
 * route timeout; then runs the attempts, retrying retryable statuses within the service's retry
 * budget (shared with every other client of the mesh). Each attempt's endpoint is chosen per RPC by
 * the channel's {@code meshwork} load balancer.
 *
 * <p>RPCs to authorities the mesh does not know pass through untouched. Thread-safe; one instance
 * per channel is enough. Usually installed with {@link MeshGrpc#install}:
 *
 * <pre>{@code
 * ManagedChannel channel =
 *     MeshGrpc.install(Grpc.newChannelBuilder("mesh:///reviews", InsecureChannelCredentials.create()), mesh)
 *         .build();
 * }</pre>
 */
public final class MeshClientInterceptor implements ClientInterceptor {

  private final Mesh mesh;

  public MeshClientInterceptor(Mesh mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    if (callOptions.getOption(AttemptTicket.KEY) != null) {
      return next.newCall(method, callOptions); // an attempt of ours, coming round again
    }
    CallOptions options = callOptions;
    if (options.getAuthority() == null && mesh.transportSecurity() != null) {
      // mTLS connections carry their endpoint as authority (see EndpointTrustManager); the call
      // keeps the channel's logical one. Where they are the same this changes nothing.
      options = options.withAuthority(next.authority());
    }
    // Whether the mesh routes the call is decided at start, when its headers are known.
    return new MeshClientCall<>(mesh, method, options, next);
  }

  @Override
  public String toString() {
    return "MeshClientInterceptor{" + mesh + "}";
  }
}
