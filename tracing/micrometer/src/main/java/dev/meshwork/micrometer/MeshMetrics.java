package dev.meshwork.micrometer;

import dev.meshwork.AccessDecision;
import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.GateState;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshContext;
import dev.meshwork.MeshException;
import dev.meshwork.MeshListener;
import dev.meshwork.MeshSnapshot;
import dev.meshwork.ResponseClass;
import dev.meshwork.RetryDecision;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import dev.meshwork.Ticker;
import dev.meshwork.X509Identity;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Golden metrics and mesh internals in a Micrometer registry, from the mesh's listener events, so
 * metrics, spans, retries and breakers all see the one classification of every attempt.
 *
 * <ul>
 *   <li>Golden metrics with Linkerd's names and tags — {@code request_total}, {@code
 *       response_total} ({@code classification="success"|"failure"}, {@code direction}, {@code
 *       namespace}, {@code deployment}, …) and {@code response_latency_ms} with Linkerd's buckets —
 *       outbound per attempt and inbound per request (through the servlet filter and the gRPC
 *       server interceptor), so Flagger's built-in Linkerd analysis and Linkerd dashboards work
 *       unchanged. Outbound logical calls (after retries) count in {@code route_request_total},
 *       {@code route_response_total} and {@code route_response_latency_ms}.
 *   <li>Mesh internals: retries, retries refused (budget, attempts, deadline, safety) and the retry
 *       budget's balance, calls the mesh failed itself, endpoints by gate state, gate transitions
 *       (ejections), the snapshot generation, rejected configuration, failing sources, backends
 *       without endpoints, access denials, and certificate expiry.
 *   <li>An SMI {@link TrafficMetrics} view.
 * </ul>
 *
 * <p>The module's README lists every Prometheus series with its tags. Cardinality is bounded by the
 * routes and backends in use; per-endpoint meters ({@code target_addr}) are opt-in and follow the
 * endpoints in the snapshot. Meters are cached in lock-free structures: a request never looks one
 * up in the registry once its route has been seen.
 *
 * <p>Thread-safe; one instance per mesh. Register it as the mesh's listener, then {@link #bindTo
 * bind} it to the mesh for the gauges that read the mesh (retry budgets) and the TrafficMetrics
 * clock:
 *
 * <pre>{@code
 * MeshMetrics metrics = MeshMetrics.builder(registry).namespace("shop").deployment("web").build();
 * Mesh mesh = Mesh.builder().source(source).listener(metrics).build();
 * metrics.bindTo(mesh);
 * }</pre>
 */
public final class MeshMetrics implements MeshListener {

  private static final MeshContext.Key<BackendMeters> METERS =
      MeshContext.Key.named("meshwork.micrometer.meters");

  private final GoldenMeters golden;
  private final MeshInternalMeters internals;
  private final TrafficMetrics traffic;

  private MeshMetrics(Builder b) {
    Tags common = Tags.of(MetricNames.NAMESPACE, b.namespace, MetricNames.DEPLOYMENT, b.deployment);
    this.internals = new MeshInternalMeters(b.registry);
    this.golden =
        new GoldenMeters(
            b.registry, common, b.perEndpoint, b.window.toNanos(), internals::backendSeen);
    this.traffic =
        new TrafficMetrics(b.namespace, b.deployment, b.window, b.clock, Ticker.system(), golden);
  }

  /** Starts metrics into {@code registry}; the namespace and deployment are required. */
  public static Builder builder(MeterRegistry registry) {
    return new Builder(registry);
  }

  /**
   * Registers the gauges that read {@code mesh} (each called service's retry budget balance) and
   * reads TrafficMetrics windows on the mesh's ticker. Call once, after building the mesh.
   */
  public MeshMetrics bindTo(Mesh mesh) {
    Objects.requireNonNull(mesh, "mesh");
    traffic.ticker(mesh.ticker());
    traffic.snapshot(mesh.snapshot());
    golden.bind(mesh);
    return this;
  }

  GoldenMeters golden() {
    return golden;
  }

  /** The SMI TrafficMetrics view of the traffic these metrics see. */
  public TrafficMetrics trafficMetrics() {
    return traffic;
  }

  // ---- outbound ---------------------------------------------------------------------------

  @Override
  public void callStarted(MeshCall call) {
    BackendMeters m = golden.forCall(call);
    call.attach(METERS, m);
    m.calls().request();
  }

  @Override
  public void attemptStarted(MeshCall call, Attempt attempt) {
    BackendMeters m = call.attachment(METERS);
    if (m != null) {
      m.attempts(attempt.endpoint()).request();
      if (attempt.isRetry()) {
        m.service.retried();
      } else if (attempt.isBackup()) {
        m.service.backedUp();
      }
    }
  }

  @Override
  public void attemptEnded(MeshCall call, Attempt attempt) {
    BackendMeters m = call.attachment(METERS);
    if (m != null) {
      m.attempts(attempt.endpoint())
          .response(
              attempt.result(),
              attempt.httpStatus(),
              attempt.grpcCode(),
              attempt.error(),
              attempt.latencyNanos());
    }
  }

  @Override
  public void callEnded(MeshCall call) {
    BackendMeters m = call.attachment(METERS);
    if (m == null) {
      return;
    }
    RetryDecision decision = call.decision();
    if (decision != null && decision != RetryDecision.COMPLETE && call.attempts() > 0) {
      m.service.denied(decision);
    }
    MeshException failure = call.failure();
    Attempt last = call.lastAttempt();
    ResponseClass result;
    if (failure != null) {
      m.service.failed(failure);
      result = ResponseClass.FAILURE;
      m.calls().response(result, 0, -1, failure, call.durationNanos());
    } else if (last != null) {
      result = last.result();
      m.calls()
          .response(result, last.httpStatus(), last.grpcCode(), last.error(), call.durationNanos());
    } else {
      return; // cancelled before any attempt: no response
    }
    if (result != null && result != ResponseClass.IGNORED) {
      m.window.record(
          call.startNanos() + call.durationNanos(), call.durationNanos(), result.isFailure());
    }
  }

  @Override
  public void failedOpen(MeshCall call, String backend) {
    BackendMeters m = call.attachment(METERS);
    if (m != null) {
      m.failedOpen().increment();
    }
  }

  // ---- inbound ----------------------------------------------------------------------------

  @Override
  public void inboundStarted(InboundCall call) {
    golden.forInbound(call).request();
  }

  @Override
  public void inboundEnded(InboundCall call) {
    ResponseClass result = call.result();
    golden
        .forInbound(call)
        .response(result, call.httpStatus(), call.grpcCode(), call.error(), call.latencyNanos());
    if (result != null && result != ResponseClass.IGNORED) {
      golden.inboundWindow.record(
          call.startNanos() + call.latencyNanos(), call.latencyNanos(), result.isFailure());
    }
  }

  @Override
  public void accessDenied(InboundCall call, AccessDecision decision) {
    internals.accessDenied(call);
  }

  // ---- control plane ----------------------------------------------------------------------

  @Override
  public void snapshotApplied(MeshSnapshot snapshot) {
    golden.snapshotApplied(snapshot);
    internals.snapshotApplied(snapshot);
    traffic.snapshot(snapshot);
  }

  @Override
  public void configRejected(ConfigException error) {
    internals.configRejected();
  }

  @Override
  public void sourceFailed(String source, Throwable error) {
    internals.sourceFailed(source);
  }

  @Override
  public void sourceRecovered(String source) {
    internals.sourceRecovered(source);
  }

  @Override
  public void backendUnavailable(ServiceName service, Route route, Backend backend) {
    internals.backendUnavailable(service, backend);
  }

  @Override
  public void gateStateChanged(
      ServiceName service, Endpoint endpoint, GateState from, GateState to, String reason) {
    internals.gateStateChanged(service, endpoint, from, to);
  }

  @Override
  public void identityUpdated(String source, X509Identity identity) {
    internals.identityUpdated(source, identity);
  }

  @Override
  public void identityExpiring(String source, X509Identity identity, Duration remaining) {
    internals.identityExpiring(source);
  }

  @Override
  public String toString() {
    return "MeshMetrics{window=" + traffic.window().toSeconds() + "s}";
  }

  /**
   * Configures {@link MeshMetrics}. {@code namespace} and {@code deployment} name this application
   * as a sidecar mesh would (Flagger's Linkerd queries select on them), since there is no sidecar
   * to add them.
   */
  public static final class Builder {
    private final MeterRegistry registry;
    private String namespace = "";
    private String deployment = "";
    private boolean perEndpoint;
    private Duration window = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();

    private Builder(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** This application's Kubernetes namespace: the {@code namespace} tag. Required. */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    /** This application's deployment (workload) name: the {@code deployment} tag. Required. */
    public Builder deployment(String deployment) {
      this.deployment = Objects.requireNonNull(deployment, "deployment");
      return this;
    }

    /**
     * Whether outbound attempts are also tagged with their endpoint ({@code target_addr}); off by
     * default, as it multiplies series by the number of endpoints.
     */
    public Builder perEndpoint(boolean perEndpoint) {
      this.perEndpoint = perEndpoint;
      return this;
    }

    /** The TrafficMetrics window; 30 s by default, between 10 s and 10 min. */
    public Builder trafficWindow(Duration window) {
      if (window.compareTo(Duration.ofSeconds(10)) < 0
          || window.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "traffic metrics window: " + window + " (expected 10s..10m)");
      }
      this.window = window;
      return this;
    }

    /** The wall clock TrafficMetrics timestamps come from. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public MeshMetrics build() {
      if (namespace.isEmpty() || deployment.isEmpty()) {
        throw new IllegalStateException(
            "mesh metrics namespace: \""
                + namespace
                + "\", deployment: \""
                + deployment
                + "\" (expected both set: they are the namespace and deployment tags Flagger"
                + " selects on)");
      }
      return new MeshMetrics(this);
    }
  }
}
