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
 * latency without queueing ({@code rttNoLoad}); each finished call's latency {@code rtt} gives an
 * estimate of the calls queued somewhere, {@code queue = limit × (1 − rttNoLoad / rtt)}. With
 * {@code L = log10(limit)}: a queue of at most {@code L} grows the limit by {@code 6L}, one below
 * {@code 3L} by {@code L}, one above {@code 6L} shrinks it by {@code L}; a failed call shrinks it
 * by {@code L}. Calls while fewer than half the permits are used teach nothing (the limit is not
 * what holds them back). Every {@code 30 × limit} samples or so the baseline is measured afresh, so
 * the limit follows a destination that became slower for good. So the limit settles a few calls
 * above what the destination serves without queueing: near its best throughput, with little added
 * latency.
 *
 * <p>Thread-safe. Permits are an atomic counter; the limit is updated under a lock that the request
 * path only tries, skipping a sample rather than waiting.
 */
public final class AdaptiveLimit implements ConcurrencyLimit {

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

  private AdaptiveLimit(Builder b, RandomSource random) {
    this.minLimit = b.minLimit;
    this.maxLimit = b.maxLimit;
    this.smoothing = b.smoothing;
    this.random = random;
    this.estimate = b.initialLimit;
    this.limit = b.initialLimit;
    this.probeCountdown = nextProbe(b.initialLimit);
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
    if (--probeCountdown <= 0) {
      probeCountdown = nextProbe(limit);
      rttNoLoad = rtt;
      return;
    }
    if (rttNoLoad == 0 || rtt < rttNoLoad) {
      rttNoLoad = rtt;
      return;
    }
    int current = (int) estimate;
    double log = Math.max(1, Math.log10(current));
    double next;
    if (failed) {
      next = estimate - log;
    } else if (inFlightWithThis * 2 < current) {
      return;
    } else {
      double queue = Math.ceil(current * (1 - (double) rttNoLoad / rtt));
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

  private int nextProbe(int forLimit) {
    return (int) (30 * forLimit * (0.5 + 0.5 * random.nextDouble())) + 1;
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
