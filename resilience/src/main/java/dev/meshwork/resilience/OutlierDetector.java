package dev.meshwork.resilience;

import dev.meshwork.GateState;
import dev.meshwork.Mesh;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Outlier ejection for one service's endpoints (see {@link OutlierDetection}): decides ejections
 * across the endpoints, so that it can keep to the maximum ejected share and the panic guard.
 * Consecutive-failure ejections happen on the request path, lock-free (a compare-and-set on the
 * ejected count); every interval, on the mesh's scheduler, ejections that are over end and success
 * rates are compared.
 */
final class OutlierDetector {

  static final String NAME = "outlier detection";

  private final OutlierDetection config;
  private final Mesh mesh;
  private final Runnable onEmpty;
  private final List<OutlierGate> gates = new CopyOnWriteArrayList<>();
  private final AtomicInteger ejected = new AtomicInteger();
  private @Nullable ScheduledFuture<?> review;

  OutlierDetector(OutlierDetection config, Mesh mesh, Runnable onEmpty) {
    this.config = config;
    this.mesh = mesh;
    this.onEmpty = onEmpty;
  }

  OutlierDetection config() {
    return config;
  }

  /** A new endpoint of the service; runs on the control thread. */
  synchronized OutlierGate join(GateReporter reporter) {
    OutlierGate g = new OutlierGate(this, reporter);
    gates.add(g);
    if (review == null) {
      long every = config.interval().toNanos();
      review =
          mesh.scheduler().scheduleAtFixedRate(this::review, every, every, TimeUnit.NANOSECONDS);
    }
    return g;
  }

  /** An endpoint left the service; runs on the control thread. */
  synchronized void leave(OutlierGate g) {
    if (gates.remove(g) && g.isEjected()) {
      ejected.decrementAndGet();
    }
    if (gates.isEmpty()) {
      if (review != null) {
        review.cancel(false);
        review = null;
      }
      onEmpty.run();
    }
  }

  /** The most endpoints that may be out at once: the share allowed, and never all of them. */
  private int cap() {
    int n = gates.size();
    return Math.min(n * config.maxEjectionPercent() / 100, n - 1);
  }

  /** Ejects {@code g} unless that would take out too many; true if it was ejected. */
  boolean tryEject(OutlierGate g, String reason) {
    int cap = cap();
    while (true) {
      int e = ejected.get();
      if (e >= cap) {
        return false;
      }
      if (ejected.compareAndSet(e, e + 1)) {
        break;
      }
    }
    long length = g.eject(mesh.ticker().nanoTime(), config);
    if (length < 0) {
      ejected.decrementAndGet(); // ejected meanwhile by another thread
      return false;
    }
    g.reporter()
        .changed(
            NAME,
            GateState.ADMITTING,
            GateState.REJECTING,
            reason + ", ejected for " + length / 1_000_000 + " ms");
    return true;
  }

  /** Every interval: ends ejections that are over, then compares success rates. */
  void review() {
    long now = mesh.ticker().nanoTime();
    for (OutlierGate g : gates) {
      if (g.isEjected()) {
        if (g.readmitIfDue(now)) {
          ejected.decrementAndGet();
          g.reporter().changed(NAME, GateState.REJECTING, GateState.ADMITTING, "ejection over");
        }
      } else {
        g.coolDown();
      }
    }
    if (config.successRate()) {
      compareSuccessRates();
    }
    for (OutlierGate g : gates) {
      g.resetInterval();
    }
  }

  private void compareSuccessRates() {
    List<OutlierGate> measured = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    for (OutlierGate g : gates) {
      long counts = g.intervalCounts();
      long total = OutlierGate.total(counts);
      if (!g.isEjected() && total >= config.requestVolume()) {
        measured.add(g);
        rates.add((double) OutlierGate.successes(counts) / total);
      }
    }
    if (measured.size() < config.minimumHosts()) {
      return;
    }
    double mean = 0;
    for (double r : rates) {
      mean += r;
    }
    mean /= rates.size();
    double variance = 0;
    for (double r : rates) {
      variance += (r - mean) * (r - mean);
    }
    double stdev = Math.sqrt(variance / rates.size());
    double threshold = mean - config.stdevFactor() * stdev;
    for (int i = 0; i < measured.size(); i++) {
      if (rates.get(i) < threshold) {
        tryEject(
            measured.get(i),
            String.format(
                "success rate %.1f%% below %.1f%% (mean %.1f%% − %.1f stdev)",
                rates.get(i) * 100, threshold * 100, mean * 100, config.stdevFactor()));
      }
    }
  }

  @Override
  public String toString() {
    return "OutlierDetector{" + gates.size() + " endpoints, " + ejected.get() + " ejected}";
  }
}
