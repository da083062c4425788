package dev.meshwork;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request a server received, as the inbound adapters (the servlet filter, the gRPC server
 * interceptor) report it to {@link MeshListener#inboundStarted} and {@link
 * MeshListener#inboundEnded}: what was called, by whom (the peer's SPIFFE ID when the connection
 * used mTLS), with what deadline, and, once ended, the result classified by the mesh's {@link
 * ResponseClassifier} and the latency. Inbound golden metrics and server spans are listeners of
 * these events.
 *
 * <p>Immutable and thread-safe: {@link #start} returns the started view, and each {@code end…}
 * method returns a new, ended view. An adapter ends each started call exactly once.
 *
 * <pre>{@code
 * InboundCall started =
 *     InboundCall.start(mesh, InboundCall.Protocol.HTTP, "GET", "/books/1", peer, deadline);
 * // ... serve the request ...
 * InboundCall ended = started.endHttp(200);
 * ended.result();        // ResponseClass.SUCCESS
 * ended.latencyNanos();
 * }</pre>
 */
public final class InboundCall {

  /** The wire protocol of an inbound call. */
  public enum Protocol {
    HTTP,
    GRPC
  }

  /** The inbound call a request is being served for, in the handler's {@link MeshContext}. */
  public static final MeshContext.Key<InboundCall> CONTEXT_KEY =
      MeshContext.Key.named("meshwork.inbound-call");

  private final Mesh mesh;
  private final Protocol protocol;
  private final String method;
  private final String path;
  private final @Nullable SpiffeId peer;
  private final @Nullable Deadline deadline;
  private final long startNanos;
  private final @Nullable ResponseClass result;
  private final int httpStatus;
  private final int grpcCode;
  private final @Nullable Throwable error;
  private final long latencyNanos;

  private InboundCall(
      InboundCall started,
      ResponseClass result,
      int httpStatus,
      int grpcCode,
      @Nullable Throwable error,
      long latencyNanos) {
    this.mesh = started.mesh;
    this.protocol = started.protocol;
    this.method = started.method;
    this.path = started.path;
    this.peer = started.peer;
    this.deadline = started.deadline;
    this.startNanos = started.startNanos;
    this.result = result;
    this.httpStatus = httpStatus;
    this.grpcCode = grpcCode;
    this.error = error;
    this.latencyNanos = latencyNanos;
  }

  private InboundCall(
      Mesh mesh,
      Protocol protocol,
      String method,
      String path,
      @Nullable SpiffeId peer,
      @Nullable Deadline deadline,
      long startNanos) {
    this.mesh = mesh;
    this.protocol = protocol;
    this.method = method;
    this.path = path;
    this.peer = peer;
    this.deadline = deadline;
    this.startNanos = startNanos;
    this.result = null;
    this.httpStatus = 0;
    this.grpcCode = -1;
    this.error = null;
    this.latencyNanos = 0;
  }

  /**
   * Records that a request arrived and tells the mesh's listeners.
   *
   * @param method the HTTP method; {@code POST} for gRPC
   * @param path the request path; {@code /package.Service/Method} for gRPC
   * @param peer the caller's identity from its certificate, or null without mTLS
   * @param deadline the caller's deadline as read from the request, or null
   */
  public static InboundCall start(
      Mesh mesh,
      Protocol protocol,
      String method,
      String path,
      @Nullable SpiffeId peer,
      @Nullable Deadline deadline) {
    InboundCall call =
        new InboundCall(
            Objects.requireNonNull(mesh, "mesh"),
            Objects.requireNonNull(protocol, "protocol"),
            Objects.requireNonNull(method, "method"),
            Objects.requireNonNull(path, "path"),
            peer,
            deadline,
            mesh.ticker.nanoTime());
    mesh.listener.inboundStarted(call);
    return call;
  }

  /** Ends the call with an HTTP status, classified by the mesh's classifier. */
  public InboundCall endHttp(int status) {
    return end(mesh.classifier.classifyHttp(status, mesh.retryPolicy), status, -1, null);
  }

  /** Ends the call with a numeric gRPC status code, classified by the mesh's classifier. */
  public InboundCall endGrpc(int code) {
    return end(mesh.classifier.classifyGrpc(code, mesh.retryPolicy), 0, code, null);
  }

  /** Ends the call with an error that escaped the handler before any status was sent. */
  public InboundCall endError(Throwable error) {
    Objects.requireNonNull(error, "error");
    return end(mesh.classifier.classifyError(error, false, mesh.retryPolicy), 0, -1, error);
  }

  private InboundCall end(
      ResponseClass result, int httpStatus, int grpcCode, @Nullable Throwable error) {
    if (this.result != null) {
      throw new IllegalStateException("inbound call " + this + " already ended");
    }
    InboundCall ended =
        new InboundCall(
            this, result, httpStatus, grpcCode, error, mesh.ticker.nanoTime() - startNanos);
    mesh.listener.inboundEnded(ended);
    return ended;
  }

  public Protocol protocol() {
    return protocol;
  }

  /** The HTTP method; {@code POST} for gRPC. */
  public String method() {
    return method;
  }

  /** The request path; {@code /package.Service/Method} for gRPC. */
  public String path() {
    return path;
  }

  /** For gRPC, the fully qualified service ({@code package.Service}); null for HTTP. */
  public @Nullable String grpcService() {
    int slash = path.lastIndexOf('/');
    return protocol == Protocol.GRPC && slash > 0 ? path.substring(1, slash) : null;
  }

  /** For gRPC, the method name ({@code Method}); null for HTTP. */
  public @Nullable String grpcMethod() {
    int slash = path.lastIndexOf('/');
    return protocol == Protocol.GRPC && slash >= 0 ? path.substring(slash + 1) : null;
  }

  /** The caller's SPIFFE ID from its certificate, or null (no mTLS, or no SPIFFE ID in it). */
  public @Nullable SpiffeId peer() {
    return peer;
  }

  /** The caller's deadline as the server read it, or null. */
  public @Nullable Deadline deadline() {
    return deadline;
  }

  /** When the request arrived, on the mesh's ticker. */
  public long startNanos() {
    return startNanos;
  }

  public boolean isEnded() {
    return result != null;
  }

  /** The classification, or null while the call runs. */
  public @Nullable ResponseClass result() {
    return result;
  }

  /** The HTTP status, or 0 if there was none. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The numeric gRPC status code, or -1 if there was none. */
  public int grpcCode() {
    return grpcCode;
  }

  /** The error that ended the call without a status, or null. */
  public @Nullable Throwable error() {
    return error;
  }

  /** Time from arrival to the end; 0 while the call runs. */
  public long latencyNanos() {
    return latencyNanos;
  }

  @Override
  public String toString() {
    String outcome;
    if (result == null) {
      outcome = "in flight";
    } else if (httpStatus != 0) {
      outcome = httpStatus + " " + result;
    } else if (grpcCode >= 0) {
      outcome = "grpc " + grpcCode + " " + result;
    } else {
      outcome = String.valueOf(error) + " " + result;
    }
    return "InboundCall{"
        + protocol
        + " "
        + method
        + " "
        + path
        + (peer == null ? "" : " from " + peer)
        + ", "
        + outcome
        + "}";
  }
}
