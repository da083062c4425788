package dev.meshwork;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One try of a {@link MeshCall} against one endpoint. The adapter sends the request to {@link
 * #endpoint()} and completes the attempt through the call; listeners read the result.
 *
 * <p>Not thread-safe; owned by its call.
 */
public final class Attempt {

  static final String[] GRPC_CODES = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED"
  };

  final MeshCall call;
  final EndpointState state;
  final boolean permitted;
  private final boolean backup;
  private final int number;
  private final long startNanos;
  private final long remainingNanos;

  @Nullable ResponseClass result;
  int httpStatus;
  int grpcCode = -1;
  @Nullable Throwable error;
  private long endNanos;

  /**
   * A value an adapter keeps with this attempt's endpoint (for this destination service), for as
   * long as the endpoint stays in discovery; null if none. For per-endpoint objects an adapter
   * would otherwise make on every attempt:
   *
   * <pre>{@code
   * Steering s = attempt.endpointAttachment(STEERING);
   * if (s == null) {
   *   s = attempt.attachToEndpoint(STEERING, new Steering(attempt.endpoint()));
   * }
   * }</pre>
   *
   * <p>Lock-free; the value must not depend on the endpoint's attributes that may change (weight,
   * labels, identity), only on its address.
   */
  public <T> @Nullable T endpointAttachment(MeshContext.Key<T> key) {
    return state.attachment(key);
  }

  /**
   * Keeps {@code value} with this attempt's endpoint under {@code key} unless another thread did
   * first; returns the value kept (see {@link #endpointAttachment}).
   */
  public <T> T attachToEndpoint(MeshContext.Key<T> key, T value) {
    return state.attachIfAbsent(key, Objects.requireNonNull(value, "value"));
  }

  /** The fault injected into this attempt, or null. */
  @Nullable Fault fault;

  long faultDelayNanos;
  boolean faultAbort;

  Attempt(
      MeshCall call,
      EndpointState state,
      int number,
      long startNanos,
      boolean permitted,
      long remainingNanos,
      boolean backup) {
    this.call = call;
    this.state = state;
    this.number = number;
    this.startNanos = startNanos;
    this.permitted = permitted;
    this.remainingNanos = remainingNanos;
    this.backup = backup;
  }

  void end(ResponseClass result, long now) {
    this.result = result;
    this.endNanos = now;
  }

  public Endpoint endpoint() {
    return state.endpoint();
  }

  /** 1 for the first attempt, 2 for the first retry, … */
  public int number() {
    return number;
  }

  /** Whether this attempt follows a failed one; a hedged backup is not a retry. */
  public boolean isRetry() {
    return number > 1 && !backup;
  }

  /**
   * Whether this is a hedged backup, sent while the call's first attempt was still in flight (see
   * {@link MeshCall#startBackup()}).
   */
  public boolean isBackup() {
    return backup;
  }

  /**
   * How long the adapter waits before sending this attempt, because fault injection delays it; 0
   * for no delay.
   */
  public long injectedDelayNanos() {
    return faultDelayNanos;
  }

  /**
   * Whether fault injection aborts this attempt: the adapter sends nothing and completes it with
   * {@link #injectedHttpStatus()} (HTTP) or {@link #injectedGrpcCode()} (gRPC) as if the server had
   * answered so.
   */
  public boolean isInjectedAbort() {
    return faultAbort;
  }

  /** The HTTP status of an {@linkplain #isInjectedAbort() aborted} attempt; 0 otherwise. */
  public int injectedHttpStatus() {
    Fault f = fault;
    return faultAbort && f != null ? f.abortHttpStatus() : 0;
  }

  /** The numeric gRPC code of an {@linkplain #isInjectedAbort() aborted} attempt; -1 otherwise. */
  public int injectedGrpcCode() {
    Fault f = fault;
    return faultAbort && f != null ? f.abortGrpcCode() : -1;
  }

  /** The latency the endpoint is accountable for: without an injected delay. */
  long endpointLatencyNanos() {
    return Math.max(latencyNanos() - faultDelayNanos, 0);
  }

  public MeshCall call() {
    return call;
  }

  /**
   * The call's remaining time when this attempt started ({@link Long#MAX_VALUE} without a
   * deadline): what the attempt may use, and what goes out in the deadline header.
   */
  public long remainingNanos() {
    return remainingNanos;
  }

  public long startNanos() {
    return startNanos;
  }

  /** The classification, or null while the attempt is in flight. */
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

  /** The error that ended the attempt without a response, or null. */
  public @Nullable Throwable error() {
    return error;
  }

  /** Time from start to completion; 0 while in flight. */
  public long latencyNanos() {
    return result == null ? 0 : endNanos - startNanos;
  }

  /** {@code 503}, {@code UNAVAILABLE}, or the error's class and message. */
  public String describeResult() {
    if (httpStatus != 0) {
      return Integer.toString(httpStatus);
    }
    if (grpcCode >= 0) {
      return grpcCode < GRPC_CODES.length ? GRPC_CODES[grpcCode] : "gRPC code " + grpcCode;
    }
    if (error != null) {
      String message = error.getMessage();
      return error.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
    return result == null ? "in flight" : result.name();
  }

  @Override
  public String toString() {
    return "Attempt{#"
        + number
        + (backup ? " backup " : " ")
        + state.endpoint().authority()
        + " "
        + describeResult()
        + "}";
  }
}
