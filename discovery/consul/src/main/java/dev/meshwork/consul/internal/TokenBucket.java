package dev.meshwork.consul.internal;

import java.time.Duration;

/**
 * Limits how often one watch may ask Consul again: {@code burst} requests back to back, then one
 * per {@code interval} (Consul's advice for blocking queries that return fast: "a token bucket with
 * burst of 2"). A query that blocked for a while has refilled the bucket, so normal watches never
 * wait; only a watch whose queries keep returning at once slows down.
 *
 * <p>Kept as a theoretical arrival time (GCRA), so it needs no timer. Not thread-safe: one watch
 * issues one request at a time.
 */
final class TokenBucket {

  private final int burst;
  private final long intervalNanos;
  private long theoreticalArrival = Long.MIN_VALUE;

  TokenBucket(int burst, Duration interval) {
    if (burst < 1) {
      throw new IllegalArgumentException("rate limit burst: " + burst + " (expected >= 1)");
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException(
          "rate limit interval: " + interval + " (expected a positive duration)");
    }
    this.burst = burst;
    this.intervalNanos = interval.toNanos();
  }

  /** Takes a token for a request; returns how long to wait before sending it (0: at once). */
  long take(long nowNanos) {
    long tat = theoreticalArrival == Long.MIN_VALUE ? nowNanos : theoreticalArrival;
    long earliest = tat - (burst - 1) * intervalNanos;
    long sendAt = Math.max(nowNanos, earliest);
    theoreticalArrival = Math.max(tat, sendAt) + intervalNanos;
    return sendAt - nowNanos;
  }
}
