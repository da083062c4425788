package dev.meshwork;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
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
 * method returns a new, ended view. An adapter ends each started call exactly once. The one mutable
 * part is the {@linkplain #attach attachments}, where listeners and propagators keep per-call state
 * (a server span); they are thread-safe and shared by the started and the ended view, because the
 * two are often seen on different threads.
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

  private static final VarHandle ATTACHMENTS;

  static {
    try {
      ATTACHMENTS =
          MethodHandles.lookup().findVarHandle(InboundCall.class, "attachments", Object[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Mesh mesh;

  /** The started view, which holds the attachments of every view of this call. */
  private final InboundCall origin;

  /** Alternating keys and values, replaced (never changed) on attach; used on the origin only. */
  private volatile Object @Nullable [] attachments;

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
    this.origin = started.origin;
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
    this.origin = this;
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

  /**
   * A value a listener or propagator keeps with this call (a server span), or null; the started and
   * the ended view see the same values.
   */
  @SuppressWarnings("unchecked")
  public <T> @Nullable T attachment(MeshContext.Key<T> key) {
    Object[] a = origin.attachments;
    if (a != null) {
      for (int i = 0; i < a.length; i += 2) {
        if (a[i] == key) {
          return (T) a[i + 1];
        }
      }
    }
    return null;
  }

  /**
   * Keeps {@code value} with this call under {@code key}, replacing an earlier value. Thread-safe;
   * typically called from {@code inboundStarted} or a propagator's {@code extract} and read in
   * {@code inboundEnded}.
   */
  public <T> void attach(MeshContext.Key<T> key, T value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    while (true) {
      Object[] a = origin.attachments;
      Object[] next;
      if (a == null) {
        next = new Object[] {key, value};
      } else {
        int i = 0;
        while (i < a.length && a[i] != key) {
          i += 2;
        }
        next = Arrays.copyOf(a, i < a.length ? a.length : a.length + 2);
        next[i] = key;
        next[i + 1] = value;
      }
      if (ATTACHMENTS.compareAndSet(origin, a, next)) {
        return;
      }
    }
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
