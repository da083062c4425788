package dev.meshwork.grpc;

import dev.meshwork.AccessDecision;
import dev.meshwork.Deadline;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshContext;
import dev.meshwork.SpiffeId;
import dev.meshwork.TimeoutHeader;
import dev.meshwork.X509Identity;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Server side of the mesh for grpc-java: makes the caller's context the current {@link MeshContext}
 * for every callback of the call, so the service's own mesh calls (gRPC or OkHttp) inherit what is
 * left of the caller's deadline. The context carries
 *
 * <ul>
 *   <li>the deadline: gRPC's ({@code grpc-timeout}), or the {@code meshwork-timeout} header when
 *       the call came through an HTTP gateway, whichever is earlier;
 *   <li>the peer's SPIFFE ID from its mTLS certificate, under {@link MeshContext#PEER_IDENTITY};
 *   <li>the {@link InboundCall}, under {@link InboundCall#CONTEXT_KEY};
 *   <li>whatever the mesh's {@link dev.meshwork.Propagator}s read from the request metadata.
 * </ul>
 *
 * <p>Before the handler runs, the call is checked against the mesh's access policy ({@link
 * Mesh#authorize}: SMI TrafficTargets, Consul intentions) for this server's identity and the
 * caller's; a denied call is closed with {@code PERMISSION_DENIED} and the reason, and reported to
 * {@link dev.meshwork.MeshListener#accessDenied}. Serve over {@link MeshGrpc#serverCredentials} so
 * that callers are identified by their certificates.
 *
 * <p>Each call is reported to the mesh's listeners ({@code inboundStarted} / {@code inboundEnded},
 * classified by the mesh's classifier), which is where inbound metrics and server spans hook in.
 * Thread-safe.
 *
 * <pre>{@code
 * Server server = Grpc.newServerBuilderForPort(8080, InsecureServerCredentials.create())
 *     .addService(ServerInterceptors.intercept(new ReviewsService(), new MeshServerInterceptor(mesh)))
 *     .build();
 * }</pre>
 */
public final class MeshServerInterceptor implements ServerInterceptor {

  private static final Metadata.Key<String> MESH_TIMEOUT =
      Metadata.Key.of(TimeoutHeader.NAME, Metadata.ASCII_STRING_MARSHALLER);

  private final Mesh mesh;

  public MeshServerInterceptor(Mesh mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Deadline deadline = deadline(headers);
    SpiffeId peer = peerIdentity(call.getAttributes());
    InboundCall started =
        InboundCall.start(
            mesh,
            InboundCall.Protocol.GRPC,
            "POST",
            GrpcRequest.path(call.getMethodDescriptor()),
            peer,
            deadline);
    MeshContext ctx = MeshContext.root().with(InboundCall.CONTEXT_KEY, started);
    if (deadline != null) {
      ctx = ctx.withDeadline(deadline);
    }
    if (peer != null) {
      ctx = ctx.with(MeshContext.PEER_IDENTITY, peer);
    }
    ctx = mesh.extract(ctx, name -> header(headers, name));
    Ending<ReqT, RespT> ending = new Ending<>(call, started);
    AccessDecision access =
        mesh.authorize(started, new GrpcRequest(call.getMethodDescriptor(), headers));
    if (!access.allowed()) {
      ending.close(Status.PERMISSION_DENIED.withDescription(access.reason()), new Metadata());
      return new ServerCall.Listener<ReqT>() {};
    }
    ServerCall.Listener<ReqT> delegate;
    try (MeshContext.Scope ignored = ctx.makeCurrent()) {
      delegate = next.startCall(ending, headers);
    }
    return new Scoped<>(delegate, ctx, ending);
  }

  private static @Nullable String header(Metadata headers, String lowerCaseName) {
    Metadata.Key<String> key = GrpcRequest.key(lowerCaseName);
    return key == null ? null : headers.get(key);
  }

  /** The earlier of gRPC's deadline (from grpc-timeout) and a gateway's meshwork-timeout. */
  private @Nullable Deadline deadline(Metadata headers) {
    Deadline deadline = null;
    io.grpc.Deadline grpc = Context.current().getDeadline();
    if (grpc != null) {
      deadline = Deadline.afterNanos(grpc.timeRemaining(TimeUnit.NANOSECONDS), mesh.ticker());
    }
    String header = headers.get(MESH_TIMEOUT);
    if (header != null) {
      try {
        Deadline d = Deadline.afterNanos(TimeoutHeader.decodeNanos(header), mesh.ticker());
        deadline = deadline == null ? d : deadline.earliest(d);
      } catch (IllegalArgumentException malformed) {
        // A malformed header sets no deadline; the request is still served.
      }
    }
    return deadline;
  }

  /** The SPIFFE ID in the peer's mTLS certificate, or null without one. */
  static @Nullable SpiffeId peerIdentity(Attributes transport) {
    SSLSession session = transport.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate
          ? X509Identity.spiffeIdOf((X509Certificate) chain[0])
          : null;
    } catch (SSLPeerUnverifiedException noClientCertificate) {
      return null;
    }
  }

  /** Ends the inbound call exactly once: with the status the handler closes with, or cancelled. */
  private static final class Ending<ReqT, RespT>
      extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
    private final AtomicReference<@Nullable InboundCall> started;

    Ending(ServerCall<ReqT, RespT> call, InboundCall started) {
      super(call);
      this.started = new AtomicReference<>(started);
    }

    void end(Status status) {
      InboundCall s = started.getAndSet(null);
      if (s != null) {
        s.endGrpc(status.getCode().value());
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      end(status);
      super.close(status, trailers);
    }
  }

  /** Runs every callback of the call with the caller's mesh context current. */
  private static final class Scoped<ReqT>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
    private final MeshContext ctx;
    private final Ending<?, ?> ending;

    Scoped(ServerCall.Listener<ReqT> delegate, MeshContext ctx, Ending<?, ?> ending) {
      super(delegate);
      this.ctx = ctx;
      this.ending = ending;
    }

    @Override
    public void onMessage(ReqT message) {
      try (MeshContext.Scope ignored = ctx.makeCurrent()) {
        super.onMessage(message);
      }
    }

    @Override
    public void onHalfClose() {
      try (MeshContext.Scope ignored = ctx.makeCurrent()) {
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      ending.end(Status.CANCELLED);
      try (MeshContext.Scope ignored = ctx.makeCurrent()) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      try (MeshContext.Scope ignored = ctx.makeCurrent()) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      try (MeshContext.Scope ignored = ctx.makeCurrent()) {
        super.onReady();
      }
    }
  }
}
