package dev.meshwork.resilience;

import dev.meshwork.EndpointGate;
import dev.meshwork.ResponseClass;
import dev.meshwork.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * One endpoint's gate made of the parts {@link EndpointGates} was configured with: a circuit
 * breaker, its place in the service's outlier detection, and a slow-start ramp. It admits traffic
 * only when every part does; the breaker hands out the permits (its probe), outlier detection only
 * says yes or no; every completion feeds both. Thread-safe as its parts are.
 */
final class CompositeGate implements EndpointGate {

  private final @Nullable EndpointGate breaker;
  private final @Nullable OutlierGate outlier;
  private final @Nullable SlowStart slowStart;
  private final Ticker ticker;
  private volatile long rampStart;
  private volatile boolean ramped;

  CompositeGate(
      @Nullable EndpointGate breaker,
      @Nullable OutlierGate outlier,
      @Nullable SlowStart slowStart,
      GateReporter reporter) {
    this.breaker = breaker;
    this.outlier = outlier;
    this.slowStart = slowStart;
    this.ticker = reporter.mesh().ticker();
    this.rampStart = ticker.nanoTime();
    this.ramped = slowStart == null;
    if (slowStart != null) {
      reporter.onReadmitted(this::restartRamp);
    }
  }

  private void restartRamp() {
    rampStart = ticker.nanoTime();
    ramped = false;
  }

  @Override
  public boolean isAdmitting() {
    return (outlier == null || !outlier.isEjected()) && (breaker == null || breaker.isAdmitting());
  }

  @Override
  public boolean tryAcquire() {
    if (outlier != null && outlier.isEjected()) {
      return false;
    }
    return breaker == null || breaker.tryAcquire();
  }

  @Override
  public void onComplete(ResponseClass result, long latencyNanos) {
    if (breaker != null) {
      breaker.onComplete(result, latencyNanos);
    }
    if (outlier != null) {
      outlier.onComplete(result);
    }
  }

  @Override
  public void release() {
    if (breaker != null) {
      breaker.release();
    }
  }

  @Override
  public double weightFactor() {
    SlowStart s = slowStart;
    if (ramped || s == null) {
      return 1.0;
    }
    double f = s.factor(ticker.nanoTime() - rampStart);
    if (f >= 1.0) {
      ramped = true;
    }
    return f;
  }

  @Override
  public void close() {
    if (outlier != null) {
      outlier.close();
    }
  }

  @Override
  public String toString() {
    return "CompositeGate{"
        + breaker
        + (outlier != null && outlier.isEjected() ? ", ejected" : "")
        + "}";
  }
}
