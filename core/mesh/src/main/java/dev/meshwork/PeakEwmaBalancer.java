package dev.meshwork;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** {@link Balancer#p2cPeakEwma()}: power of two choices over peak-EWMA cost. */
final class PeakEwmaBalancer extends Balancer {

  /** Cost of an endpoint with a first request in flight and no measurement yet. */
  private static final double PENALTY = 1e15;

  private final long defaultRttNanos;
  private final double decayNanos;

  PeakEwmaBalancer(Duration defaultRtt, Duration decay) {
    this.defaultRttNanos = defaultRtt.toNanos();
    this.decayNanos = decay.toNanos();
  }

  @Override
  @Nullable EndpointState pick(
      EndpointSet set, @Nullable EndpointState avoid, long now, RandomSource random) {
    EndpointState[] states = set.states;
    int n = states.length;
    if (n == 1) {
      return states[0].isAdmitting() ? states[0] : null;
    }
    int i = random.nextInt(n);
    int j = random.nextInt(n - 1);
    if (j >= i) {
      j++;
    }
    EndpointState a = states[i];
    EndpointState b = states[j];
    boolean aOk = a != avoid && a.isAdmitting();
    boolean bOk = b != avoid && b.isAdmitting();
    if (aOk && bOk) {
      return cost(a, now) <= cost(b, now) ? a : b;
    }
    if (aOk) {
      return a;
    }
    if (bOk) {
      return b;
    }
    return scan(set, avoid, random);
  }

  double cost(EndpointState s, long now) {
    int pending = s.inFlight();
    double latency = s.decayedCost(now, decayNanos);
    if (Double.isNaN(latency)) {
      if (pending > 0) {
        return PENALTY + pending;
      }
      latency = defaultRttNanos;
    }
    return latency * (pending + 1) / s.effectiveWeight();
  }

  /**
   * Failures feed at least the default RTT, so that an endpoint answering errors fast does not look
   * like the fastest endpoint and attract more traffic.
   */
  @Override
  void observe(EndpointState state, long latencyNanos, ResponseClass result, long now) {
    if (result == ResponseClass.IGNORED) {
      return;
    }
    double rtt = result.isFailure() ? Math.max(latencyNanos, defaultRttNanos) : latencyNanos;
    state.observe(rtt, now, decayNanos);
  }

  @Override
  EndpointState leastBad(EndpointSet set, long now) {
    EndpointState best = set.states[0];
    double bestCost = Double.MAX_VALUE;
    for (EndpointState s : set.states) {
      double c = cost(s, now);
      if (c < bestCost) {
        bestCost = c;
        best = s;
      }
    }
    return best;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeakEwmaBalancer
        && ((PeakEwmaBalancer) o).defaultRttNanos == defaultRttNanos
        && ((PeakEwmaBalancer) o).decayNanos == decayNanos;
  }

  @Override
  public int hashCode() {
    return Objects.hash(defaultRttNanos, decayNanos);
  }

  @Override
  public String toString() {
    return "p2cPeakEwma(defaultRtt="
        + defaultRttNanos / 1_000_000
        + "ms, decay="
        + (long) (decayNanos / 1_000_000)
        + "ms)";
  }
}
