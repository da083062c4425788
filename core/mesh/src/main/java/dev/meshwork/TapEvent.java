package dev.meshwork;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request summary on a {@link Tap}: an outbound attempt (which service, route, backend and
 * endpoint; which attempt of its call; the status, its classification and the latency), an outbound
 * call that ended without reaching an endpoint (no healthy endpoints, deadline), or a request a
 * server received.
 *
 * <p>Immutable and thread-safe. Its {@link #toString()} is a one-line summary:
 *
 * <pre>{@code
 * OUTBOUND GET reviews.default/books/1 route=default backend=reviews-v2.default
 *     endpoint=10.0.0.7:8080 attempt=2 status=503 RETRYABLE_FAILURE 12.417ms
 * }</pre>
 */
public final class TapEvent {

  /** Whether the request left this application or arrived at it. */
  public enum Direction {
    /** A request this application's mesh clients sent (one event per attempt). */
    OUTBOUND,
    /** A request this application's servers received. */
    INBOUND
  }

  private final Direction direction;
  private final Instant timestamp;
  private final @Nullable ServiceName service;
  private final String route;
  private final String backend;
  private final @Nullable Endpoint endpoint;
  private final String method;
  private final String path;
  private final int attempt;
  private final String status;
  private final int httpStatus;
  private final int grpcCode;
  private final ResponseClass result;
  private final long latencyNanos;
  private final @Nullable SpiffeId peer;

  private TapEvent(
      Direction direction,
      Instant timestamp,
      @Nullable ServiceName service,
      String route,
      String backend,
      @Nullable Endpoint endpoint,
      String method,
      String path,
      int attempt,
      String status,
      int httpStatus,
      int grpcCode,
      ResponseClass result,
      long latencyNanos,
      @Nullable SpiffeId peer) {
    this.direction = direction;
    this.timestamp = timestamp;
    this.service = service;
    this.route = route;
    this.backend = backend;
    this.endpoint = endpoint;
    this.method = method;
    this.path = path;
    this.attempt = attempt;
    this.status = status;
    this.httpStatus = httpStatus;
    this.grpcCode = grpcCode;
    this.result = result;
    this.latencyNanos = latencyNanos;
    this.peer = peer;
  }

  /** An ended outbound attempt. */
  static TapEvent attempt(MeshCall call, Attempt attempt, Instant timestamp) {
    ResponseClass result = attempt.result();
    return new TapEvent(
        Direction.OUTBOUND,
        timestamp,
        call.service(),
        call.route().name(),
        call.backend().name(),
        attempt.endpoint(),
        call.request().method(),
        call.request().path(),
        attempt.number(),
        attempt.describeResult(),
        attempt.httpStatus(),
        attempt.grpcCode(),
        result == null ? ResponseClass.IGNORED : result,
        attempt.latencyNanos(),
        null);
  }

  /** An outbound call the mesh itself ended (no endpoints, deadline) after its last attempt. */
  static TapEvent meshFailure(MeshCall call, MeshException failure, Instant timestamp) {
    return new TapEvent(
        Direction.OUTBOUND,
        timestamp,
        call.service(),
        call.route().name(),
        call.backend().name(),
        null,
        call.request().method(),
        call.request().path(),
        call.attempts(),
        Objects.toString(failure.getMessage(), failure.getClass().getSimpleName()),
        0,
        -1,
        ResponseClass.FAILURE,
        call.durationNanos(),
        null);
  }

  /** An ended inbound call. */
  static TapEvent inbound(InboundCall call, Instant timestamp) {
    ResponseClass result = call.result();
    String status;
    if (call.httpStatus() != 0) {
      status = Integer.toString(call.httpStatus());
    } else if (call.grpcCode() >= 0) {
      status = "grpc " + call.grpcCode();
    } else {
      Throwable e = call.error();
      status = e == null ? "no status" : e.getClass().getSimpleName();
    }
    return new TapEvent(
        Direction.INBOUND,
        timestamp,
        null,
        "",
        "",
        null,
        call.method(),
        call.path(),
        0,
        status,
        call.httpStatus(),
        call.grpcCode(),
        result == null ? ResponseClass.IGNORED : result,
        call.latencyNanos(),
        call.peer());
  }

  public Direction direction() {
    return direction;
  }

  /** When the attempt or call ended, by the tap's wall clock. */
  public Instant timestamp() {
    return timestamp;
  }

  /** The service an outbound call was addressed to; null for inbound requests. */
  public @Nullable ServiceName service() {
    return service;
  }

  /** The name of the route that took an outbound call; empty for inbound requests. */
  public String route() {
    return route;
  }

  /** The backend ({@code reviews-v2.default}) of an outbound call; empty for inbound requests. */
  public String backend() {
    return backend;
  }

  /** The endpoint an outbound attempt was sent to; null for inbound requests and mesh failures. */
  public @Nullable Endpoint endpoint() {
    return endpoint;
  }

  /** The HTTP method; {@code POST} for gRPC. */
  public String method() {
    return method;
  }

  /** The request path; {@code /package.Service/Method} for gRPC. */
  public String path() {
    return path;
  }

  /** 1 for an outbound call's first attempt, 2 for its first retry, …; 0 for inbound requests. */
  public int attempt() {
    return attempt;
  }

  /** {@code 503}, {@code UNAVAILABLE}, an error's class and message, or the mesh's failure. */
  public String status() {
    return status;
  }

  /** The HTTP status, or 0 if there was none. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The numeric gRPC status code, or -1 if there was none. */
  public int grpcCode() {
    return grpcCode;
  }

  /** The mesh's classification of the result. */
  public ResponseClass result() {
    return result;
  }

  public long latencyNanos() {
    return latencyNanos;
  }

  /** The caller's SPIFFE ID on an inbound request over mTLS, or null. */
  public @Nullable SpiffeId peer() {
    return peer;
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(160).append(direction).append(' ').append(method);
    s.append(' ');
    if (service != null) {
      s.append(service);
    }
    s.append(path);
    if (direction == Direction.OUTBOUND) {
      s.append(" route=").append(route).append(" backend=").append(backend);
      s.append(" endpoint=").append(endpoint == null ? "none" : endpoint.authority());
      s.append(" attempt=").append(attempt);
    } else if (peer != null) {
      s.append(" peer=").append(peer);
    }
    s.append(" status=").append(status).append(' ').append(result).append(' ');
    s.append(latencyNanos / 1_000_000).append('.');
    long micros = (latencyNanos / 1_000) % 1_000;
    s.append(micros < 100 ? (micros < 10 ? "00" : "0") : "").append(micros).append("ms");
    return s.toString();
  }
}
