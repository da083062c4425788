package dev.meshwork.resilience;

import dev.meshwork.ResponseClass;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One endpoint's part in its service's {@link OutlierDetector}: its failure streak, its attempts
 * and successes in the current interval (one atomic word: successes in the high half), and whether
 * it is ejected. Lock-free.
 */
final class OutlierGate {

  private final OutlierDetector detector;
  private final GateReporter reporter;
  private final AtomicInteger streak = new AtomicInteger();
  private final AtomicLong counts = new AtomicLong();
  private final AtomicBoolean ejected = new AtomicBoolean();
  private final AtomicInteger ejections = new AtomicInteger();
  private volatile long until;
  private volatile boolean ejectedThisInterval;

  OutlierGate(OutlierDetector detector, GateReporter reporter) {
    this.detector = detector;
    this.reporter = reporter;
  }

  GateReporter reporter() {
    return reporter;
  }

  boolean isEjected() {
    return ejected.get();
  }

  void onComplete(ResponseClass result) {
    if (result == ResponseClass.SUCCESS) {
      streak.set(0);
      counts.addAndGet((1L << 32) + 1);
    } else if (result.isFailure()) {
      counts.incrementAndGet();
      int threshold = detector.config().consecutiveFailures();
      if (threshold > 0
          && streak.incrementAndGet() >= threshold
          && !ejected.get()
          && detector.tryEject(this, threshold + " consecutive failures")) {
        streak.set(0);
      }
    }
  }

  /**
   * Marks the endpoint ejected from {@code now}, for the base time times its ejection count;
   * returns the length, or -1 if it was ejected already.
   */
  long eject(long now, OutlierDetection config) {
    if (!ejected.compareAndSet(false, true)) {
      return -1;
    }
    int n = ejections.incrementAndGet();
    long base = config.baseEjectionTime().toNanos();
    long length = Math.min(base * n, config.maxEjectionTime().toNanos());
    until = now + length;
    ejectedThisInterval = true;
    return length;
  }

  /** Lets the endpoint back in if its ejection is over. */
  boolean readmitIfDue(long now) {
    if (now >= until && ejected.compareAndSet(true, false)) {
      streak.set(0);
      return true;
    }
    return false;
  }

  /** An interval passed without this endpoint ejected: its next ejection will be shorter. */
  void coolDown() {
    if (!ejectedThisInterval) {
      ejections.updateAndGet(n -> Math.max(n - 1, 0));
    }
  }

  long intervalCounts() {
    return counts.get();
  }

  void resetInterval() {
    counts.set(0);
    ejectedThisInterval = false;
  }

  void close() {
    detector.leave(this);
  }

  static long total(long counts) {
    return counts & 0xFFFF_FFFFL;
  }

  static long successes(long counts) {
    return counts >>> 32;
  }
}
