package dev.meshwork;

/**
 * The one classification of an attempt's result. Retries, the balancer's latency estimate, circuit
 * breakers, metrics and spans all consume it, so they never disagree about what failed.
 */
public enum ResponseClass {
  /** The endpoint did its job (including 4xx answers: the client's mistake, not the endpoint's). */
  SUCCESS,
  /** A failure that is safe to retry by nature (503, UNAVAILABLE, connection refused). */
  RETRYABLE_FAILURE,
  /** A failure that retrying would not fix or might repeat (500 by default, timeouts). */
  FAILURE,
  /** Says nothing about the endpoint, such as the caller cancelling; moves no statistics. */
  IGNORED;

  public boolean isFailure() {
    return this == RETRYABLE_FAILURE || this == FAILURE;
  }
}
