package dev.meshwork.resilience;

import dev.meshwork.ConcurrencyLimit;
import dev.meshwork.ConcurrencyLimitFactory;
import dev.meshwork.Mesh;
import dev.meshwork.RandomSource;
import dev.meshwork.ResponseClass;
import dev.meshwork.ServiceName;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A concurrency limit that finds itself, Vegas-style: the lowest latency seen is taken as the
 * latency without queueing ({@code rttNoLoad}); finished calls are gathered in windows of about one
 * limit's worth (so the limit moves once per round trip, not once per call, and sees the effect of
 * its last move before the next), and each window's average latency {@code rtt} gives an estimate
 * of the calls queued somewhere, {@code queue = limit × (1 − rttNoLoad / rtt)}. With {@code L =
 * log10(limit)}: a queue of at most {@code L} grows the limit by {@code 6L}, one below {@code 3L}
 * by {@code L}, one above {@code 6L} shrinks it by {@code L}; a window with a failed call shrinks
 * it by {@code L}. Windows in which fewer than half the permits were used teach nothing (the limit
 * is not what holds calls back). The lowest latency only shows when nothing queues, which a limit
 * holding a few calls in a queue prevents; so every 30 to 60 windows the limit is cut to a quarter
 * for two (short) windows, the queue drains, and the lowest latency seen meanwhile becomes the new
 * baseline (as BBR probes its round-trip time), which also lets the limit follow a destination that
 * became slower for good. So the limit settles a few calls above what the destination serves
 * without queueing: near its best throughput, with little added latency.
 *
 * <p>Thread-safe. Permits are an atomic counter; the limit is updated under a lock that the request
 * path only tries, skipping a sample rather than waiting.
 */
public final class AdaptiveLimit implements ConcurrencyLimit {

  /** The fewest samples a window has, so that a small limit still averages a few. */
  private static final int MIN_WINDOW = 10;

  private final int minLimit;
  private final int maxLimit;
  private final double smoothing;
  private final RandomSource random;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ReentrantLock update = new ReentrantLock();
  private volatile int limit;

  // Guarded by update.
  private double estimate;
  private long rttNoLoad;
  private int probeCountdown;
  private int drainWindows;
  private long drainMin;
  private long windowSum;
  private int windowCount;
  private long windowMin = Long.MAX_VALUE;
  private boolean windowFailed;
  private int windowInFlight;

  private AdaptiveLimit(Builder b, RandomSource random) {
    this.minLimit = b.minLimit;
    this.maxLimit = b.maxLimit;
    this.smoothing = b.smoothing;
    this.random = random;
    this.estimate = b.initialLimit;
    this.limit = b.initialLimit;
    this.probeCountdown = nextProbe();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public boolean tryAcquire() {
    while (true) {
      int n = inFlight.get();
      if (n >= limit) {
        return false;
      }
      if (inFlight.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  @Override
  public void release(ResponseClass result, long rttNanos) {
    int inFlightWithThis = inFlight.getAndDecrement();
    if (result == ResponseClass.IGNORED || rttNanos <= 0 || !update.tryLock()) {
      return;
    }
    try {
      learn(rttNanos, inFlightWithThis, result.isFailure());
    } finally {
      update.unlock();
    }
  }

  private void learn(long rtt, int inFlightWithThis, boolean failed) {
    windowSum += rtt;
    windowCount++;
    windowMin = Math.min(windowMin, rtt);
    windowFailed |= failed;
    windowInFlight = Math.max(windowInFlight, inFlightWithThis);
    if (windowCount < Math.max(limit, MIN_WINDOW)) {
      return;
    }
    long average = windowSum / windowCount;
    long min = windowMin;
    boolean anyFailed = windowFailed;
    int busiest = windowInFlight;
    windowSum = 0;
    windowCount = 0;
    windowMin = Long.MAX_VALUE;
    windowFailed = false;
    windowInFlight = 0;
    if (drainWindows > 0) {
      drainMin = Math.min(drainMin, min);
      if (--drainWindows == 0) {
        rttNoLoad = drainMin; // the baseline measured afresh, with the queue drained
        limit = Math.max(minLimit, (int) estimate);
        probeCountdown = nextProbe();
      }
      return;
    }
    if (--probeCountdown <= 0) {
      // Quarter the limit for two windows so that queues drain and the baseline shows again.
      drainWindows = 2;
      drainMin = Long.MAX_VALUE;
      limit = Math.max(minLimit, (int) estimate / 4);
      return;
    }
    if (rttNoLoad == 0 || min < rttNoLoad) {
      rttNoLoad = min;
    }
    adjust(average, busiest, anyFailed);
  }

  /** One step of the limit, once per window, from the window's average latency. */
  private void adjust(long averageRtt, int busiest, boolean failed) {
    int current = (int) estimate;
    double log = Math.max(1, Math.log10(current));
    double next;
    if (failed) {
      next = estimate - log;
    } else if (busiest * 2 < current) {
      return; // the limit did not hold anything back: nothing to learn
    } else {
      double queue = current * (1 - (double) rttNoLoad / averageRtt);
      if (queue <= log) {
        next = estimate + 6 * log;
      } else if (queue < 3 * log) {
        next = estimate + log;
      } else if (queue > 6 * log) {
        next = estimate - log;
      } else {
        return;
      }
    }
    next = Math.max(minLimit, Math.min(maxLimit, next));
    estimate = (1 - smoothing) * estimate + smoothing * next;
    limit = Math.max(minLimit, (int) estimate);
  }

  private int nextProbe() {
    return 30 + random.nextInt(31);
  }

  @Override
  public int limit() {
    return limit;
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public String toString() {
    return "AdaptiveLimit{" + inFlight.get() + "/" + limit + "}";
  }

  /**
   * Configures adaptive limits; {@link #build()} gives the factory a mesh uses. Not thread-safe.
   */
  public static final class Builder {
    private int initialLimit = 20;
    private int minLimit = 1;
    private int maxLimit = 1000;
    private double smoothing = 1.0;

    private Builder() {}

    /** The limit before anything was learned; default 20. */
    public Builder initialLimit(int limit) {
      this.initialLimit = limit;
      return this;
    }

    /** The bounds the limit stays in; default 1..1000. */
    public Builder bounds(int min, int max) {
      if (min < 1 || max < min) {
        throw new IllegalArgumentException(
            "adaptive limit bounds: " + min + ".." + max + " (expected 1 <= min <= max)");
      }
      this.minLimit = min;
      this.maxLimit = max;
      return this;
    }

    /** How much of each step is taken, in (0, 1]; default 1 (all of it). */
    public Builder smoothing(double smoothing) {
      if (!(smoothing > 0 && smoothing <= 1)) {
        throw new IllegalArgumentException(
            "adaptive limit smoothing: " + smoothing + " (expected 0 < x <= 1)");
      }
      this.smoothing = smoothing;
      return this;
    }

    /** The factory creating one adaptive limit per destination. */
    public ConcurrencyLimitFactory build() {
      if (initialLimit < minLimit || initialLimit > maxLimit) {
        throw new IllegalArgumentException(
            "adaptive initialLimit: "
                + initialLimit
                + " (expected within "
                + minLimit
                + ".."
                + maxLimit
                + ")");
      }
      Builder b = copy();
      return new ConcurrencyLimitFactory() {
        @Override
        public ConcurrencyLimit create(ServiceName service, Mesh mesh) {
          return new AdaptiveLimit(b, mesh.random());
        }

        @Override
        public String toString() {
          return "ConcurrencyLimits.adaptive(initial " + b.initialLimit + ")";
        }
      };
    }

    private Builder copy() {
      Builder b = new Builder();
      b.initialLimit = initialLimit;
      b.minLimit = minLimit;
      b.maxLimit = maxLimit;
      b.smoothing = smoothing;
      return b;
    }
  }
}
