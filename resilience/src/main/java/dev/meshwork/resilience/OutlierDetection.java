package dev.meshwork.resilience;

import java.time.Duration;

/**
 * Settings of outlier ejection across each service's endpoints, as Envoy's and Istio's outlier
 * detection: an endpoint is ejected (gets no traffic) after {@code consecutiveFailures} failed
 * attempts in a row, at once; and, every {@code interval}, when at least {@code minimumHosts}
 * endpoints each served {@code requestVolume} attempts in the interval, an endpoint whose success
 * rate is below the mean by more than {@code stdevFactor} standard deviations is ejected. An
 * ejection lasts {@code baseEjectionTime} times the number of times the endpoint was ejected (the
 * count falls back by one for every interval it stays in), at most {@code maxEjectionTime}; it ends
 * at the first interval after that.
 *
 * <p>Never more than {@code maxEjectionPercent} of a service's endpoints are ejected at once
 * (default 50 %), and never the last one: a panic guard keeps at least one endpoint in, so a small
 * cluster whose endpoints all fail still answers (the balancer then fails open to the least bad, if
 * breakers reject the rest). Defaults otherwise as Envoy: 5 consecutive failures, interval 10 s,
 * ejection 30 s up to 300 s; success rate: 5 hosts, 100 requests, factor 1.9. Immutable.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .gates(EndpointGates.builder().outlierDetection(OutlierDetection.defaults()).build())
 *     .build();
 * }</pre>
 */
public final class OutlierDetection {

  private static final OutlierDetection DEFAULTS = builder().build();

  private final int consecutiveFailures;
  private final Duration interval;
  private final Duration baseEjectionTime;
  private final Duration maxEjectionTime;
  private final int maxEjectionPercent;
  private final boolean successRate;
  private final int minimumHosts;
  private final int requestVolume;
  private final double stdevFactor;

  private OutlierDetection(Builder b) {
    this.consecutiveFailures = b.consecutiveFailures;
    this.interval = b.interval;
    this.baseEjectionTime = b.baseEjectionTime;
    this.maxEjectionTime = b.maxEjectionTime;
    this.maxEjectionPercent = b.maxEjectionPercent;
    this.successRate = b.successRate;
    this.minimumHosts = b.minimumHosts;
    this.requestVolume = b.requestVolume;
    this.stdevFactor = b.stdevFactor;
  }

  public static OutlierDetection defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Failed attempts in a row that eject an endpoint; 0 turns this check off. */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  public Duration interval() {
    return interval;
  }

  public Duration baseEjectionTime() {
    return baseEjectionTime;
  }

  public Duration maxEjectionTime() {
    return maxEjectionTime;
  }

  public int maxEjectionPercent() {
    return maxEjectionPercent;
  }

  /** Whether the success-rate check runs every interval. */
  public boolean successRate() {
    return successRate;
  }

  public int minimumHosts() {
    return minimumHosts;
  }

  public int requestVolume() {
    return requestVolume;
  }

  public double stdevFactor() {
    return stdevFactor;
  }

  @Override
  public String toString() {
    return "OutlierDetection{consecutiveFailures="
        + consecutiveFailures
        + ", interval="
        + interval.toMillis()
        + "ms, ejection="
        + baseEjectionTime.toMillis()
        + ".."
        + maxEjectionTime.toMillis()
        + "ms, max "
        + maxEjectionPercent
        + "%"
        + (successRate ? ", successRate(" + minimumHosts + "," + requestVolume + ")" : "")
        + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private int consecutiveFailures = 5;
    private Duration interval = Duration.ofSeconds(10);
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofSeconds(300);
    private int maxEjectionPercent = 50;
    private boolean successRate = true;
    private int minimumHosts = 5;
    private int requestVolume = 100;
    private double stdevFactor = 1.9;

    private Builder() {}

    /** Failed attempts in a row that eject an endpoint at once; 0 for none; default 5. */
    public Builder consecutiveFailures(int n) {
      if (n < 0) {
        throw new IllegalArgumentException(
            "outlier consecutiveFailures: " + n + " (expected >= 0)");
      }
      this.consecutiveFailures = n;
      return this;
    }

    /** How often ejections are reviewed and success rates compared; default 10 s. */
    public Builder interval(Duration interval) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException(
            "outlier interval: " + interval + " (expected a positive duration)");
      }
      this.interval = interval;
      return this;
    }

    /** The first ejection's length and the longest; default 30 s and 300 s. */
    public Builder ejectionTime(Duration base, Duration max) {
      if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
        throw new IllegalArgumentException(
            "outlier ejectionTime: " + base + ".." + max + " (expected 0 < base <= max)");
      }
      this.baseEjectionTime = base;
      this.maxEjectionTime = max;
      return this;
    }

    /** The largest share of a service's endpoints ejected at once, 0..100; default 50. */
    public Builder maxEjectionPercent(int percent) {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException(
            "outlier maxEjectionPercent: " + percent + " (expected 0..100)");
      }
      this.maxEjectionPercent = percent;
      return this;
    }

    /**
     * The success-rate check: needs {@code minimumHosts} endpoints with {@code requestVolume}
     * attempts each in the interval; ejects below mean − {@code stdevFactor} × stdev.
     */
    public Builder successRate(int minimumHosts, int requestVolume, double stdevFactor) {
      if (minimumHosts < 1 || requestVolume < 1 || !(stdevFactor > 0)) {
        throw new IllegalArgumentException(
            "outlier successRate: minimumHosts="
                + minimumHosts
                + ", requestVolume="
                + requestVolume
                + ", stdevFactor="
                + stdevFactor
                + " (expected >= 1, >= 1, > 0)");
      }
      this.successRate = true;
      this.minimumHosts = minimumHosts;
      this.requestVolume = requestVolume;
      this.stdevFactor = stdevFactor;
      return this;
    }

    /** Turns the success-rate check off. */
    public Builder noSuccessRate() {
      this.successRate = false;
      return this;
    }

    public OutlierDetection build() {
      return new OutlierDetection(this);
    }
  }
}
