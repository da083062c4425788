package dev.meshwork.resilience;

import dev.meshwork.RandomSource;
import java.time.Duration;

/**
 * How long an endpoint stays out after its breaker opens for the {@code n}-th time in a row: {@code
 * min(max, base × 2^(n−1))}, plus up to {@code jitter} of that at random (Linkerd's exponential
 * backoff for failure accrual: 1 s doubling to 60 s, jitter 0.5). Immutable.
 */
final class Penalty {

  private final long baseNanos;
  private final long maxNanos;
  private final double jitter;

  Penalty(Duration base, Duration max, double jitter) {
    if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "penalty: " + base + ".." + max + " (expected 0 < base <= max)");
    }
    if (!(jitter >= 0 && jitter <= 1)) {
      throw new IllegalArgumentException("penalty jitter: " + jitter + " (expected 0..1)");
    }
    this.baseNanos = base.toNanos();
    this.maxNanos = max.toNanos();
    this.jitter = jitter;
  }

  /** The penalty of the {@code n}-th consecutive opening (n ≥ 1), in nanoseconds. */
  long nanos(int n, RandomSource random) {
    int shift = Math.min(Math.max(n - 1, 0), 40);
    long d = baseNanos << shift;
    if (d <= 0 || d > maxNanos || (d >> shift) != baseNanos) {
      d = maxNanos;
    }
    return d + (long) (d * jitter * random.nextDouble());
  }

  /** The longest penalty, jitter included. */
  long maxNanos() {
    return maxNanos + (long) (maxNanos * jitter);
  }

  Duration base() {
    return Duration.ofNanos(baseNanos);
  }

  Duration max() {
    return Duration.ofNanos(maxNanos);
  }

  double jitter() {
    return jitter;
  }

  @Override
  public String toString() {
    return baseNanos / 1_000_000 + "ms.." + maxNanos / 1_000_000 + "ms, jitter " + jitter;
  }
}
