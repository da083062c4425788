package dev.meshwork.micrometer;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Success and failure counts and a latency histogram (Linkerd's buckets) over a sliding window,
 * kept in a ring of {@value #SLOTS} time slots: fixed memory per window, lock-free recording. A
 * slot whose time has passed is replaced by a fresh one (never cleared in place), so a reader never
 * sees half a reset; an event racing with that replacement may be lost, which a debugging view can
 * afford.
 *
 * <p>Thread-safe.
 */
final class TrafficWindow {

  static final int SLOTS = 10;

  /** Counts: success, failure, then one per latency bucket, the last one unbounded. */
  private static final int SUCCESS = 0;

  private static final int FAILURE = 1;
  private static final int BUCKETS = 2;
  private static final int WIDTH = BUCKETS + MetricNames.LATENCY_BUCKETS_MS.length + 1;

  private final long slotNanos;
  private final AtomicReferenceArray<Slot> slots = new AtomicReferenceArray<>(SLOTS);

  TrafficWindow(long windowNanos) {
    this.slotNanos = Math.max(windowNanos / SLOTS, 1);
  }

  /** Records a response that ended at {@code endNanos} (mesh ticker) after {@code latencyNanos}. */
  void record(long endNanos, long latencyNanos, boolean failure) {
    long epoch = Math.floorDiv(endNanos, slotNanos);
    int i = (int) Math.floorMod(epoch, (long) SLOTS);
    Slot slot = slots.get(i);
    while (slot == null || slot.epoch < epoch) {
      Slot fresh = new Slot(epoch);
      if (slots.compareAndSet(i, slot, fresh)) {
        slot = fresh;
        break;
      }
      slot = slots.get(i);
    }
    if (slot.epoch != epoch) {
      return; // older than the window by now
    }
    slot.counts.incrementAndGet(failure ? FAILURE : SUCCESS);
    slot.counts.incrementAndGet(BUCKETS + bucket(latencyNanos / 1e6));
  }

  /** The window's totals as of {@code nowNanos} (mesh ticker). */
  Totals totals(long nowNanos) {
    long current = Math.floorDiv(nowNanos, slotNanos);
    long[] sum = new long[WIDTH];
    for (int i = 0; i < SLOTS; i++) {
      Slot slot = slots.get(i);
      if (slot != null && slot.epoch <= current && slot.epoch > current - SLOTS) {
        for (int j = 0; j < WIDTH; j++) {
          sum[j] += slot.counts.get(j);
        }
      }
    }
    long[] buckets = new long[WIDTH - BUCKETS];
    System.arraycopy(sum, BUCKETS, buckets, 0, buckets.length);
    return new Totals(sum[SUCCESS], sum[FAILURE], buckets);
  }

  private static int bucket(double millis) {
    double[] bounds = MetricNames.LATENCY_BUCKETS_MS;
    for (int i = 0; i < bounds.length; i++) {
      if (millis <= bounds[i]) {
        return i;
      }
    }
    return bounds.length;
  }

  private static final class Slot {
    final long epoch;
    final AtomicLongArray counts = new AtomicLongArray(WIDTH);

    Slot(long epoch) {
      this.epoch = epoch;
    }
  }

  /** A window's counts; {@code buckets[i]} counts latencies in (bound[i-1], bound[i]]. */
  static final class Totals {
    static final Totals EMPTY =
        new Totals(0, 0, new long[MetricNames.LATENCY_BUCKETS_MS.length + 1]);

    final long success;
    final long failure;
    private final long[] buckets;

    Totals(long success, long failure, long[] buckets) {
      this.success = success;
      this.failure = failure;
      this.buckets = buckets;
    }

    Totals plus(Totals other) {
      long[] b = buckets.clone();
      for (int i = 0; i < b.length; i++) {
        b[i] += other.buckets[i];
      }
      return new Totals(success + other.success, failure + other.failure, b);
    }

    long count() {
      return success + failure;
    }

    /**
     * The {@code q} quantile in milliseconds, interpolated linearly within its bucket as
     * Prometheus's {@code histogram_quantile} does; the highest finite bound when it falls in the
     * unbounded bucket; NaN without data.
     */
    double quantileMillis(double q) {
      long total = 0;
      for (long b : buckets) {
        total += b;
      }
      if (total == 0) {
        return Double.NaN;
      }
      double[] bounds = MetricNames.LATENCY_BUCKETS_MS;
      double rank = q * total;
      long seen = 0;
      for (int i = 0; i < buckets.length; i++) {
        if (seen + buckets[i] >= rank && buckets[i] > 0) {
          if (i == bounds.length) {
            return bounds[bounds.length - 1];
          }
          double lower = i == 0 ? 0 : bounds[i - 1];
          return lower + (bounds[i] - lower) * ((rank - seen) / buckets[i]);
        }
        seen += buckets[i];
      }
      return bounds[bounds.length - 1];
    }
  }
}
