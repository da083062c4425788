package dev.meshwork.consul.internal;

import dev.meshwork.RandomSource;
import java.time.Duration;

/**
 * How long a watch waits after its {@code n}-th failure in a row: exponential from {@code base},
 * capped at {@code max}, with "equal jitter" (half fixed, half random) so that watches of many
 * services do not retry in lockstep and a delay is never zero. Immutable.
 */
final class Backoff {

  private final long baseNanos;
  private final long maxNanos;

  Backoff(Duration base, Duration max) {
    if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "backoff: " + base + ".." + max + " (expected 0 < base <= max)");
    }
    this.baseNanos = base.toNanos();
    this.maxNanos = max.toNanos();
  }

  long delayNanos(int failures, RandomSource random) {
    int shift = Math.min(Math.max(failures - 1, 0), 30);
    long ceiling = baseNanos << shift;
    if (ceiling <= 0 || ceiling > maxNanos) {
      ceiling = maxNanos;
    }
    long half = ceiling / 2;
    return ceiling - half + random.nextLong(half + 1);
  }
}
