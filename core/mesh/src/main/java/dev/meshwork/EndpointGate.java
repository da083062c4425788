package dev.meshwork;

/**
 * Per-endpoint admission control below the balancer: circuit breakers, outlier ejection and slow
 * start plug in here (see {@code meshwork-resilience}). The balancer reads {@link #isAdmitting()}
 * on every pick and skips endpoints that are not admitting; the call then asks {@link
 * #tryAcquire()} for the attempt and reports how it ended through {@link #onComplete} or, if the
 * attempt never went out, {@link #release()}.
 *
 * <p>Every method runs on the request path: implementations must be thread-safe, non-blocking,
 * allocation-light and must not throw.
 */
public interface EndpointGate {

  /** Whether the balancer should consider this endpoint now. */
  boolean isAdmitting();

  /** Permission for one attempt; false if the gate refuses it (for example, the probe is taken). */
  boolean tryAcquire();

  /** The attempt permitted by {@link #tryAcquire()} ended with {@code result}. */
  void onComplete(ResponseClass result, long latencyNanos);

  /** The permit from {@link #tryAcquire()} will not be used. */
  void release();

  /** A multiplier in {@code [0, 1]} on the endpoint's weight, such as a slow-start ramp. */
  default double weightFactor() {
    return 1.0;
  }

  /** The endpoint left the mesh; the gate will not be used again. */
  default void close() {}
}
