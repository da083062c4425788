package dev.meshwork;

/**
 * Caps the calls in flight to one destination: a call takes a permit when its first attempt starts
 * and gives it back when it ends, with the latency of its last attempt, so adaptive limits can
 * learn from it. A call that finds no permit fails at once with a {@link
 * ConcurrencyLimitExceededException} instead of queueing. Created per destination by a {@link
 * ConcurrencyLimitFactory}; {@code meshwork-resilience}'s {@code ConcurrencyLimits} has fixed and
 * adaptive ones.
 *
 * <p>Runs on the request path: thread-safe, non-blocking, must not throw.
 */
public interface ConcurrencyLimit {

  /** Takes a permit for one call; false if the limit is reached. */
  boolean tryAcquire();

  /**
   * Gives back a permit. {@code result} is the call's last attempt's classification, {@link
   * ResponseClass#IGNORED} when the call had no attempt the endpoint answered (cancelled, aborted
   * by fault injection); {@code rttNanos} is that attempt's latency.
   */
  void release(ResponseClass result, long rttNanos);

  /** The current limit, for error messages and inspection. */
  int limit();

  /** Calls holding a permit now. */
  int inFlight();
}
