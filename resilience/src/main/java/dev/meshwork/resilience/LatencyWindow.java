package dev.meshwork.resilience;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A histogram of recent latencies over a sliding window of {@code slots} time slices, for
 * percentiles (Finagle's {@code WindowedPercentileHistogram}, in microseconds). Bins are
 * log-linear: exact below 32 µs, then 16 per power of two (about 6 % wide). Lock-free: each slice
 * is an array of atomic counters stamped with its time index; the first writer of a new slice
 * clears it. A sample racing a slice's reuse may be lost, which a percentile tolerates.
 */
final class LatencyWindow {

  private static final int LINEAR = 32;
  private static final int SUB_BITS = 4;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MAX_EXPONENT = 40;
  static final int BINS = LINEAR + (MAX_EXPONENT - 4) * SUB;

  private final int slots;
  private final long sliceNanos;
  private final AtomicLongArray stamps;
  private final AtomicIntegerArray[] counts;

  LatencyWindow(int slots, long sliceNanos) {
    this.slots = slots;
    this.sliceNanos = sliceNanos;
    this.stamps = new AtomicLongArray(slots);
    this.counts = new AtomicIntegerArray[slots];
    for (int i = 0; i < slots; i++) {
      counts[i] = new AtomicIntegerArray(BINS);
      stamps.set(i, Long.MIN_VALUE);
    }
  }

  void record(long latencyNanos, long now) {
    long index = Math.floorDiv(now, sliceNanos);
    int slot = (int) Math.floorMod(index, slots);
    long stamp = stamps.get(slot);
    if (stamp != index) {
      if (stamp > index || !stamps.compareAndSet(slot, stamp, index)) {
        if (stamps.get(slot) != index) {
          return; // a late sample for a slice already reused
        }
      } else {
        AtomicIntegerArray c = counts[slot];
        for (int i = 0; i < BINS; i++) {
          c.set(i, 0);
        }
      }
    }
    counts[slot].incrementAndGet(bin(Math.max(latencyNanos / 1000, 0)));
  }

  /**
   * The latency at quantile {@code q} over the window ending at {@code now}, in nanoseconds (the
   * upper edge of its bin); -1 when fewer than {@code minSamples} were recorded.
   */
  long percentileNanos(double q, long now, long minSamples) {
    long index = Math.floorDiv(now, sliceNanos);
    long[] sum = new long[BINS];
    long total = 0;
    for (int s = 0; s < slots; s++) {
      long age = index - stamps.get(s);
      if (age < 0 || age >= slots) {
        continue;
      }
      AtomicIntegerArray c = counts[s];
      for (int i = 0; i < BINS; i++) {
        int n = c.get(i);
        sum[i] += n;
        total += n;
      }
    }
    if (total < Math.max(minSamples, 1)) {
      return -1;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BINS; i++) {
      seen += sum[i];
      if (seen >= rank) {
        return upperMicros(i) * 1000;
      }
    }
    return upperMicros(BINS - 1) * 1000;
  }

  static int bin(long micros) {
    if (micros < LINEAR) {
      return (int) micros;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(micros);
    if (exponent >= MAX_EXPONENT) {
      return BINS - 1;
    }
    int mantissa = (int) (micros >>> (exponent - SUB_BITS)) & (SUB - 1);
    return LINEAR + (exponent - 5) * SUB + mantissa;
  }

  /** The largest latency, in microseconds, that falls in {@code bin}. */
  static long upperMicros(int bin) {
    if (bin < LINEAR) {
      return bin;
    }
    int exponent = (bin - LINEAR) / SUB + 5;
    int mantissa = (bin - LINEAR) % SUB;
    return ((long) (SUB + mantissa + 1) << (exponent - SUB_BITS)) - 1;
  }
}
