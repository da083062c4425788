package dev.meshwork.resilience;

import dev.meshwork.Endpoint;
import dev.meshwork.EndpointGate;
import dev.meshwork.EndpointGateFactory;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The per-endpoint gates of a mesh, below the balancer: a circuit breaker per endpoint (the
 * consecutive-failures breaker of Linkerd, or a success-rate breaker backed by resilience4j),
 * outlier ejection across each service's endpoints, and slow start, composed into one {@link
 * EndpointGate} per endpoint. Every part consumes the mesh's one classification of each attempt and
 * reports its state changes to the mesh's listener ({@code gateStateChanged}, with a reason such as
 * {@code consecutive failures: 7 consecutive failures, out for 1342 ms}).
 *
 * <p>When every endpoint of a backend refuses traffic the mesh fails open to the least bad one
 * ({@link Mesh.Builder#failOpen}) and says so through {@code MeshListener.failedOpen}.
 *
 * <p>Thread-safe. Give each mesh its own instance: outlier detection is kept per service of the
 * mesh that created the gates.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .gates(EndpointGates.builder()
 *         .consecutiveFailures(ConsecutiveFailures.defaults())
 *         .outlierDetection(OutlierDetection.defaults())
 *         .slowStart(SlowStart.over(Duration.ofSeconds(30)))
 *         .build())
 *     .build();
 * }</pre>
 */
public final class EndpointGates implements EndpointGateFactory {

  private final @Nullable ConsecutiveFailures consecutiveFailures;
  private final @Nullable SuccessRate successRate;
  private final @Nullable OutlierDetection outlierDetection;
  private final @Nullable SlowStart slowStart;
  private final ConcurrentHashMap<DetectorKey, OutlierDetector> detectors =
      new ConcurrentHashMap<>();

  private record DetectorKey(Mesh mesh, ServiceName service) {}

  private EndpointGates(Builder b) {
    this.consecutiveFailures = b.consecutiveFailures;
    this.successRate = b.successRate;
    this.outlierDetection = b.outlierDetection;
    this.slowStart = b.slowStart;
  }

  /** Linkerd's consecutive-failures breaker with its defaults, and nothing else. */
  public static EndpointGates defaults() {
    return builder().consecutiveFailures(ConsecutiveFailures.defaults()).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public EndpointGate create(ServiceName service, Endpoint endpoint, Mesh mesh) {
    GateReporter reporter = new GateReporter(service, endpoint, mesh);
    EndpointGate breaker = null;
    if (consecutiveFailures != null) {
      breaker = new ConsecutiveFailuresBreaker(consecutiveFailures, reporter);
    } else if (successRate != null) {
      breaker = new SuccessRateBreaker(successRate, reporter);
    }
    OutlierGate outlier = null;
    OutlierDetection od = outlierDetection;
    if (od != null) {
      DetectorKey key = new DetectorKey(mesh, service);
      OutlierDetector detector =
          detectors.computeIfAbsent(
              key, k -> new OutlierDetector(od, mesh, () -> detectors.remove(k)));
      outlier = detector.join(reporter);
    }
    return new CompositeGate(breaker, outlier, slowStart, reporter);
  }

  @Override
  public String toString() {
    return "EndpointGates{"
        + (consecutiveFailures != null ? consecutiveFailures : successRate)
        + (outlierDetection != null ? ", " + outlierDetection : "")
        + (slowStart != null ? ", " + slowStart : "")
        + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private @Nullable ConsecutiveFailures consecutiveFailures;
    private @Nullable SuccessRate successRate;
    private @Nullable OutlierDetection outlierDetection;
    private @Nullable SlowStart slowStart;

    private Builder() {}

    /** The consecutive-failures breaker; replaces a success-rate breaker. */
    public Builder consecutiveFailures(ConsecutiveFailures config) {
      this.consecutiveFailures = Objects.requireNonNull(config, "config");
      this.successRate = null;
      return this;
    }

    /** The success-rate breaker (resilience4j); replaces a consecutive-failures breaker. */
    public Builder successRate(SuccessRate config) {
      this.successRate = Objects.requireNonNull(config, "config");
      this.consecutiveFailures = null;
      return this;
    }

    /** Outlier ejection across each service's endpoints. */
    public Builder outlierDetection(OutlierDetection config) {
      this.outlierDetection = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Slow start for new (and readmitted) endpoints. */
    public Builder slowStart(SlowStart config) {
      this.slowStart = Objects.requireNonNull(config, "config");
      return this;
    }

    public EndpointGates build() {
      return new EndpointGates(this);
    }
  }
}
