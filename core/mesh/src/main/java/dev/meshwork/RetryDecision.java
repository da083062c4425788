package dev.meshwork;

/**
 * What happens after an attempt: the call is complete, it goes on with another attempt, or it stops
 * although the failure was retryable, for the reason named.
 */
public enum RetryDecision {
  /** The attempt's result is the call's result: a success, or a failure not worth retrying. */
  COMPLETE,
  /** Try again after {@link MeshCall#backoffNanos()}. */
  RETRY,
  /**
   * The request may have reached the server and is not idempotent, or its body cannot be resent.
   */
  UNSAFE_TO_RETRY,
  /** The retry policy's maximum number of attempts was reached. */
  ATTEMPTS_EXHAUSTED,
  /** No time left in the call's deadline for the backoff and another attempt. */
  DEADLINE_EXCEEDED,
  /** The destination's retry budget refused the retry. */
  BUDGET_EXHAUSTED,
  /**
   * The attempt did not succeed but the call's other attempt (a hedged backup, or the original when
   * the backup ended first) is still in flight: that one decides the call. Only adapters that start
   * backups ({@link MeshCall#startBackup()}) see this; the call has not ended.
   */
  AWAITING_OTHER_ATTEMPT
}
