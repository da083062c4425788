package dev.meshwork.grpc;

import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshContext;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

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
    return new Routing<>(method, callOptions, next);
  }

  /** Decides at start, when the headers are known, whether the call goes through the mesh. */
  private final class Routing<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final MethodDescriptor<ReqT, RespT> method;
    private final CallOptions callOptions;
    private final Channel next;
    private @Nullable ClientCall<ReqT, RespT> delegate;

    Routing(MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
      this.method = method;
      this.callOptions = callOptions;
      this.next = next;
    }

    @Override
    public void start(Listener<RespT> listener, Metadata headers) {
      MeshCall call = newCall(headers);
      delegate =
          call == null
              ? next.newCall(method, callOptions)
              : new MeshClientCall<>(mesh, method, callOptions, next, call);
      delegate.start(listener, headers);
    }

    private @Nullable MeshCall newCall(Metadata headers) {
      String host = next.authority();
      GrpcRequest request = new GrpcRequest(method, headers);
      Deadline given = earliest(callOptions.getDeadline(), Context.current().getDeadline());
      if (given == null) {
        return mesh.newCall(host, request);
      }
      // The caller's gRPC deadline bounds the mesh call too, so no attempt starts after it.
      MeshContext bounded =
          MeshContext.current()
              .withDeadline(
                  dev.meshwork.Deadline.afterNanos(
                      given.timeRemaining(TimeUnit.NANOSECONDS), mesh.ticker()));
      try (MeshContext.Scope ignored = bounded.makeCurrent()) {
        return mesh.newCall(host, request);
      }
    }

    private ClientCall<ReqT, RespT> delegate() {
      ClientCall<ReqT, RespT> d = delegate;
      if (d == null) {
        throw new IllegalStateException("call not started");
      }
      return d;
    }

    @Override
    public void request(int numMessages) {
      delegate().request(numMessages);
    }

    @Override
    public void cancel(@Nullable String message, @Nullable Throwable cause) {
      if (delegate != null) {
        delegate.cancel(message, cause);
      }
    }

    @Override
    public void halfClose() {
      delegate().halfClose();
    }

    @Override
    public void sendMessage(ReqT message) {
      delegate().sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return delegate != null && delegate.isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      delegate().setMessageCompression(enabled);
    }

    @Override
    public io.grpc.Attributes getAttributes() {
      return delegate == null ? io.grpc.Attributes.EMPTY : delegate.getAttributes();
    }
  }

  private static @Nullable Deadline earliest(@Nullable Deadline a, @Nullable Deadline b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a.minimum(b);
  }

  @Override
  public String toString() {
    return "MeshClientInterceptor{" + mesh + "}";
  }
}
