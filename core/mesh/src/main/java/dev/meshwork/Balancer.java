package dev.meshwork;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How one attempt picks an endpoint among a backend's endpoints. Pick one of the static factories;
 * the default is {@link #p2cPeakEwma()}, the latency-aware balancer of Finagle and Linkerd.
 *
 * <p>A balancer holds no per-endpoint state of its own (the mesh keeps that, across updates), so
 * one instance can serve every service. Picks never block and take no lock. Endpoints whose {@link
 * EndpointGate} is not admitting are skipped; a retry avoids the endpoint that just failed when
 * another one is available.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .balancer(Balancer.p2cPeakEwma(Duration.ofMillis(30), Duration.ofSeconds(10)))
 *     .build();
 * }</pre>
 */
public abstract class Balancer {

  private static final Balancer P2C_DEFAULT =
      new PeakEwmaBalancer(Duration.ofMillis(30), Duration.ofSeconds(10));

  Balancer() {}

  /**
   * Power of two choices over peak-EWMA latency: draws two endpoints at random and takes the one
   * with the lower cost, where cost is the decayed latency estimate times (requests in flight + 1)
   * divided by weight. Unmeasured endpoints start at a 30 ms estimate and are heavily penalised
   * while a first request to them is still in flight; estimates decay over 10 s.
   */
  public static Balancer p2cPeakEwma() {
    return P2C_DEFAULT;
  }

  /** {@link #p2cPeakEwma()} with a different starting estimate and decay time. */
  public static Balancer p2cPeakEwma(Duration defaultRtt, Duration decay) {
    if (defaultRtt.isNegative() || defaultRtt.isZero() || decay.isNegative() || decay.isZero()) {
      throw new IllegalArgumentException(
          "p2cPeakEwma: defaultRtt=" + defaultRtt + ", decay=" + decay + " (expected positive)");
    }
    return new PeakEwmaBalancer(defaultRtt, decay);
  }

  /** Each endpoint in turn, ignoring weights and latency. For comparison and simple cases. */
  public static Balancer roundRobin() {
    return RoundRobinBalancer.INSTANCE;
  }

  /** A random endpoint with probability proportional to its weight, ignoring latency. */
  public static Balancer weighted() {
    return WeightedBalancer.INSTANCE;
  }

  /**
   * An admitting endpoint of the non-empty {@code set}, preferring one other than {@code avoid};
   * null when no endpoint is admitting.
   */
  abstract @Nullable EndpointState pick(
      EndpointSet set, @Nullable EndpointState avoid, long now, RandomSource random);

  /** Feeds one attempt's latency; only latency-aware balancers care. */
  void observe(EndpointState state, long latencyNanos, ResponseClass result, long now) {}

  /** The endpoint to use when every endpoint refuses traffic: the least loaded one. */
  EndpointState leastBad(EndpointSet set, long now) {
    EndpointState best = set.states[0];
    for (EndpointState s : set.states) {
      if (s.inFlight() < best.inFlight()) {
        best = s;
      }
    }
    return best;
  }

  /** Scans from a random offset for an admitting endpoint other than {@code avoid}, then avoid. */
  static @Nullable EndpointState scan(
      EndpointSet set, @Nullable EndpointState avoid, RandomSource random) {
    EndpointState[] states = set.states;
    int start = random.nextInt(states.length);
    for (int k = 0; k < states.length; k++) {
      EndpointState s = states[(start + k) % states.length];
      if (s != avoid && s.isAdmitting()) {
        return s;
      }
    }
    return avoid != null && avoid.isAdmitting() ? avoid : null;
  }
}
