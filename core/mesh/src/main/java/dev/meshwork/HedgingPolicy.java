package dev.meshwork;

/**
 * Decides when a call gets a backup ("hedged") attempt: a second attempt sent to another endpoint
 * while the first is still in flight, the first answer winning and the other cancelled (Finagle's
 * {@code BackupRequestFilter}, Dean and Barroso's "hedged requests"). Register one with {@link
 * Mesh.Builder#hedging}; {@code meshwork-resilience}'s {@code Hedging} sends the backup after the
 * latency percentile that matches the extra load allowed.
 *
 * <p>The mesh asks only for calls whose request is idempotent and replayable, that are not
 * themselves serving an upstream retry, and only for the first attempt. A backup is paid from the
 * destination's {@link RetryBudget} like a retry, so retries and backups together stay within it.
 *
 * <p>Every method runs on the request path: implementations must be thread-safe, fast, non-blocking
 * and must not throw.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().hedging(call -> TimeUnit.MILLISECONDS.toNanos(50)).build();
 * }</pre>
 */
@FunctionalInterface
public interface HedgingPolicy {

  /**
   * How long after {@code call}'s first attempt started its backup may go out, in nanoseconds; a
   * negative value for no backup. Asked once per eligible call, when its first attempt starts.
   */
  long backupDelayNanos(MeshCall call);

  /**
   * Whether the backup may go out now that its delay has passed (a policy's own limit, such as a
   * budget of its own); asked before the destination's retry budget.
   */
  default boolean allowBackup(MeshCall call) {
    return true;
  }

  /**
   * An attempt of a call that {@link #backupDelayNanos} was asked about ended: the original, its
   * backup, or (classified {@link ResponseClass#IGNORED}) the one that lost the race and was
   * cancelled.
   */
  default void attemptEnded(MeshCall call, Attempt attempt) {}
}
