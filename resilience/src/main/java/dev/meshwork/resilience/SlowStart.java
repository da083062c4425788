package dev.meshwork.resilience;

import java.time.Duration;

/**
 * Slow start: a new endpoint's weight in the balancer ramps up over {@code window} instead of
 * taking its full share at once, so a cold JVM or an empty cache is not flooded (Envoy's {@code
 * slow_start_config}, Istio's {@code warmup}, Armeria's ramping-up selection). The factor applied
 * to the weight is {@code max(minWeightPercent / 100, (elapsed / window)^(1 / aggression))};
 * defaults: minimum 10 %, aggression 1 (linear). An endpoint readmitted after its breaker or an
 * outlier ejection ramps up again. Immutable.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .gates(EndpointGates.builder().slowStart(SlowStart.over(Duration.ofSeconds(30))).build())
 *     .build();
 * }</pre>
 */
public final class SlowStart {

  private final long windowNanos;
  private final double minFactor;
  private final double exponent;

  private SlowStart(Duration window, int minWeightPercent, double aggression) {
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException(
          "slow start window: " + window + " (expected a positive duration)");
    }
    if (minWeightPercent < 1 || minWeightPercent > 100) {
      throw new IllegalArgumentException(
          "slow start minWeightPercent: " + minWeightPercent + " (expected 1..100)");
    }
    if (!(aggression > 0)) {
      throw new IllegalArgumentException(
          "slow start aggression: " + aggression + " (expected > 0)");
    }
    this.windowNanos = window.toNanos();
    this.minFactor = minWeightPercent / 100.0;
    this.exponent = 1 / aggression;
  }

  /** A linear ramp over {@code window}, from 10 % of the weight. */
  public static SlowStart over(Duration window) {
    return new SlowStart(window, 10, 1.0);
  }

  /**
   * A ramp over {@code window} from {@code minWeightPercent}; {@code aggression} above 1 ramps
   * faster early on, below 1 slower.
   */
  public static SlowStart of(Duration window, int minWeightPercent, double aggression) {
    return new SlowStart(window, minWeightPercent, aggression);
  }

  public Duration window() {
    return Duration.ofNanos(windowNanos);
  }

  /** The factor on the weight {@code elapsedNanos} into the ramp. */
  double factor(long elapsedNanos) {
    if (elapsedNanos >= windowNanos) {
      return 1.0;
    }
    double t = Math.max(elapsedNanos, 0) / (double) windowNanos;
    double f = exponent == 1.0 ? t : Math.pow(t, exponent);
    return Math.max(minFactor, f);
  }

  long windowNanos() {
    return windowNanos;
  }

  @Override
  public String toString() {
    return "SlowStart{" + windowNanos / 1_000_000 + "ms, from " + (int) (minFactor * 100) + "%}";
  }
}
