package dev.meshwork;

import java.io.InterruptedIOException;

/**
 * Classifies every attempt exactly once. The mesh has one classifier; the route's {@link
 * RetryPolicy} is passed in so that "which failures are retryable" stays route configuration while
 * "what counts as a failure" stays in one place.
 *
 * <p>The {@linkplain #defaults() default}: HTTP 5xx is a failure, retryable if the policy lists the
 * status; gRPC {@code OK} and the codes that blame the caller ({@code INVALID_ARGUMENT}, {@code
 * NOT_FOUND}, …) are successes, {@code CANCELLED} is ignored, and the codes that blame the server
 * ({@code UNKNOWN}, {@code DEADLINE_EXCEEDED}, {@code RESOURCE_EXHAUSTED}, {@code INTERNAL}, {@code
 * UNAVAILABLE}, {@code DATA_LOSS}) are failures, retryable if the policy lists the code; an error
 * before the request was sent is always retryable, a timeout never, other I/O errors are retryable.
 *
 * <p>Implementations must be thread-safe, fast and must not throw.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().classifier(ResponseClassifier.defaults()).build();
 * }</pre>
 */
public interface ResponseClassifier {

  ResponseClass classifyHttp(int status, RetryPolicy policy);

  /** {@code code} is the numeric gRPC status code (0 = OK). */
  ResponseClass classifyGrpc(int code, RetryPolicy policy);

  /**
   * An attempt that ended without a response. {@code neverSent} is true when the request certainly
   * did not reach the server (connection refused, no route), which makes any request safe to retry.
   */
  ResponseClass classifyError(Throwable error, boolean neverSent, RetryPolicy policy);

  static ResponseClassifier defaults() {
    return DefaultClassifier.INSTANCE;
  }
}

/** {@link ResponseClassifier#defaults()}. */
enum DefaultClassifier implements ResponseClassifier {
  INSTANCE;

  @Override
  public ResponseClass classifyHttp(int status, RetryPolicy policy) {
    if (status < 500) {
      return ResponseClass.SUCCESS;
    }
    return policy.retriesHttpStatus(status)
        ? ResponseClass.RETRYABLE_FAILURE
        : ResponseClass.FAILURE;
  }

  @Override
  public ResponseClass classifyGrpc(int code, RetryPolicy policy) {
    switch (code) {
      case 1: // CANCELLED
        return ResponseClass.IGNORED;
      case 2: // UNKNOWN
      case 4: // DEADLINE_EXCEEDED
      case 8: // RESOURCE_EXHAUSTED
      case 13: // INTERNAL
      case 14: // UNAVAILABLE
      case 15: // DATA_LOSS
        return policy.retriesGrpcCode(code)
            ? ResponseClass.RETRYABLE_FAILURE
            : ResponseClass.FAILURE;
      default:
        return ResponseClass.SUCCESS;
    }
  }

  @Override
  public ResponseClass classifyError(Throwable error, boolean neverSent, RetryPolicy policy) {
    if (neverSent) {
      return ResponseClass.RETRYABLE_FAILURE;
    }
    if (error instanceof InterruptedIOException) {
      return ResponseClass.FAILURE;
    }
    return error instanceof java.io.IOException
        ? ResponseClass.RETRYABLE_FAILURE
        : ResponseClass.FAILURE;
  }

  @Override
  public String toString() {
    return "ResponseClassifier.defaults()";
  }
}
