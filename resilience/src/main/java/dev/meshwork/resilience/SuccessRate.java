package dev.meshwork.resilience;

import java.time.Duration;

/**
 * Settings of the success-rate circuit breaker, backed by a resilience4j {@code CircuitBreaker} per
 * endpoint: the breaker opens when, over the last {@code window} (a time-based sliding window), at
 * least {@code minRequests} attempts were made and fewer than {@code minSuccessRate} of them
 * succeeded (Finagle's and Linkerd's success-rate accrual: 0.8 over 10 s, at least 5 requests).
 * Open, the endpoint gets no traffic for a penalty that starts at {@code minPenalty} and doubles up
 * to {@code maxPenalty} with jitter; then one probe is let through. Immutable.
 *
 * <p>The mesh drives resilience4j only through its permission protocol ({@code
 * tryAcquirePermission} → {@code onSuccess} / {@code onError} with the attempt's duration, or
 * {@code releasePermission} for attempts that said nothing about the endpoint), on a clock made
 * from the mesh's ticker. On the system ticker the sliding window is resilience4j's lock-free one;
 * on any other ticker its synchronized one, because resilience4j 2.4's lock-free time window reads
 * the system clock whatever clock it is given.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .gates(EndpointGates.builder().successRate(SuccessRate.defaults()).build())
 *     .build();
 * }</pre>
 */
public final class SuccessRate {

  private static final SuccessRate DEFAULTS = builder().build();

  private final double minSuccessRate;
  private final Duration window;
  private final int minRequests;
  private final Penalty penalty;

  private SuccessRate(Builder b) {
    this.minSuccessRate = b.minSuccessRate;
    this.window = b.window;
    this.minRequests = b.minRequests;
    this.penalty = new Penalty(b.minPenalty, b.maxPenalty, b.jitter);
  }

  /** Success rate 0.8 over 10 s with at least 5 requests; penalty 1 s → 60 s, jitter 0.5. */
  public static SuccessRate defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public double minSuccessRate() {
    return minSuccessRate;
  }

  public Duration window() {
    return window;
  }

  public int minRequests() {
    return minRequests;
  }

  Penalty penalty() {
    return penalty;
  }

  @Override
  public String toString() {
    return "SuccessRate{>= "
        + minSuccessRate
        + " over "
        + window.toSeconds()
        + "s, min "
        + minRequests
        + " requests, penalty "
        + penalty
        + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private double minSuccessRate = 0.8;
    private Duration window = Duration.ofSeconds(10);
    private int minRequests = 5;
    private Duration minPenalty = Duration.ofSeconds(1);
    private Duration maxPenalty = Duration.ofSeconds(60);
    private double jitter = 0.5;

    private Builder() {}

    /** The success rate at or below which the breaker opens, in (0, 1]; default 0.8. */
    public Builder minSuccessRate(double rate) {
      if (!(rate > 0 && rate <= 1)) {
        throw new IllegalArgumentException(
            "success rate minSuccessRate: " + rate + " (expected 0 < rate <= 1)");
      }
      this.minSuccessRate = rate;
      return this;
    }

    /** The sliding window, whole seconds from 1 s; default 10 s. */
    public Builder window(Duration window) {
      if (window.toSeconds() < 1 || window.toNanos() % 1_000_000_000L != 0) {
        throw new IllegalArgumentException(
            "success rate window: " + window + " (expected whole seconds, at least 1 s)");
      }
      this.window = window;
      return this;
    }

    /** Attempts in the window before the rate counts; default 5. */
    public Builder minRequests(int minRequests) {
      if (minRequests < 1) {
        throw new IllegalArgumentException(
            "success rate minRequests: " + minRequests + " (expected >= 1)");
      }
      this.minRequests = minRequests;
      return this;
    }

    /** The first penalty and the longest one; default 1 s and 60 s. */
    public Builder penalty(Duration min, Duration max) {
      new Penalty(min, max, jitter); // validates
      this.minPenalty = min;
      this.maxPenalty = max;
      return this;
    }

    /** Random extra share of each penalty, 0..1; default 0.5. */
    public Builder jitter(double jitter) {
      new Penalty(minPenalty, maxPenalty, jitter); // validates
      this.jitter = jitter;
      return this;
    }

    public SuccessRate build() {
      return new SuccessRate(this);
    }
  }
}
