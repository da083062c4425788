package dev.meshwork.resilience;

import java.time.Duration;

/**
 * Settings of the consecutive-failures circuit breaker, Linkerd's failure accrual: after {@code
 * maxFailures} failed attempts in a row (as the mesh's one classifier judges them) the endpoint
 * leaves the balancer for a penalty that starts at {@code minPenalty} and doubles with each
 * consecutive opening up to {@code maxPenalty}, plus up to {@code jitter} of it at random; then it
 * admits exactly one probe request: a success closes the breaker, a failure opens it again for the
 * next penalty. Defaults: 7 failures, 1 s → 60 s, jitter 0.5. Immutable.
 *
 * <p>The breaker itself is lock-free (a compare-and-set on an immutable phase, and a counter) and
 * runs on the mesh's ticker; it needs no timer: the penalty's end is noticed by the next pick.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .gates(EndpointGates.builder()
 *         .consecutiveFailures(ConsecutiveFailures.builder().maxFailures(5).build())
 *         .build())
 *     .build();
 * }</pre>
 */
public final class ConsecutiveFailures {

  private static final ConsecutiveFailures DEFAULTS = builder().build();

  private final int maxFailures;
  private final Penalty penalty;

  private ConsecutiveFailures(Builder b) {
    this.maxFailures = b.maxFailures;
    this.penalty = new Penalty(b.minPenalty, b.maxPenalty, b.jitter);
  }

  /** 7 failures in a row; penalty 1 s doubling to 60 s, jitter 0.5. */
  public static ConsecutiveFailures defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public int maxFailures() {
    return maxFailures;
  }

  public Duration minPenalty() {
    return penalty.base();
  }

  public Duration maxPenalty() {
    return penalty.max();
  }

  public double jitter() {
    return penalty.jitter();
  }

  Penalty penalty() {
    return penalty;
  }

  @Override
  public String toString() {
    return "ConsecutiveFailures{" + maxFailures + " failures, penalty " + penalty + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private int maxFailures = 7;
    private Duration minPenalty = Duration.ofSeconds(1);
    private Duration maxPenalty = Duration.ofSeconds(60);
    private double jitter = 0.5;

    private Builder() {}

    /** Failed attempts in a row that open the breaker; default 7. */
    public Builder maxFailures(int maxFailures) {
      if (maxFailures < 1) {
        throw new IllegalArgumentException(
            "consecutive failures maxFailures: " + maxFailures + " (expected >= 1)");
      }
      this.maxFailures = maxFailures;
      return this;
    }

    /** The first penalty and the longest one; default 1 s and 60 s. */
    public Builder penalty(Duration min, Duration max) {
      new Penalty(min, max, 0); // validates
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

    public ConsecutiveFailures build() {
      return new ConsecutiveFailures(this);
    }
  }
}
