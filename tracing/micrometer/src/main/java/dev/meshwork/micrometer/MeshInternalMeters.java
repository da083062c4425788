package dev.meshwork.micrometer;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.GateState;
import dev.meshwork.InboundCall;
import dev.meshwork.MeshSnapshot;
import dev.meshwork.ServiceName;
import dev.meshwork.X509Identity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Meters for the mesh's control plane and endpoint health: the snapshot generation, rejected
 * configuration, failing sources, backends without endpoints, endpoint counts by gate state, gate
 * transitions (ejections are transitions to {@code rejecting}), access denials and certificate
 * expiry. These events are rare, so counters are looked up per event; gauges read state kept here.
 *
 * <p>Thread-safe.
 */
final class MeshInternalMeters {

  private static final String[] STATES = {"admitting", "probing", "rejecting"};

  private final MeterRegistry registry;
  private final AtomicReference<MeshSnapshot> snapshot = new AtomicReference<>();
  private final Counter configRejections;
  private final Set<ServiceName> endpointGauges = ConcurrentHashMap.newKeySet();

  /** Per backend service: endpoints (by authority) whose gate is not admitting. */
  private final Map<ServiceName, Map<String, GateState>> gates = new ConcurrentHashMap<>();

  private final Map<String, AtomicInteger> sourcesUp = new ConcurrentHashMap<>();
  private final Map<String, X509Identity> identities = new ConcurrentHashMap<>();

  MeshInternalMeters(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder(MetricNames.SNAPSHOT_GENERATION, snapshot, s -> generation(s.get()))
        .strongReference(true)
        .register(registry);
    this.configRejections = Counter.builder(MetricNames.CONFIG_REJECTIONS).register(registry);
  }

  private static double generation(MeshSnapshot s) {
    return s == null ? 0 : s.generation();
  }

  void snapshotApplied(MeshSnapshot s) {
    snapshot.set(s);
    for (Map.Entry<ServiceName, Map<String, GateState>> e : gates.entrySet()) {
      Set<String> present = new HashSet<>();
      for (Endpoint endpoint : s.endpoints(e.getKey())) {
        present.add(endpoint.authority());
      }
      e.getValue().keySet().retainAll(present);
    }
  }

  /** Endpoint count gauges for a service the mesh sends to, registered once. */
  void backendSeen(ServiceName service) {
    if (!endpointGauges.add(service)) {
      return;
    }
    for (String state : STATES) {
      Gauge.builder(MetricNames.ENDPOINTS, this, m -> m.endpoints(service, state))
          .tag(MetricNames.SERVICE, service.toString())
          .tag(MetricNames.STATE, state)
          .strongReference(true)
          .register(registry);
    }
  }

  private double endpoints(ServiceName service, String state) {
    MeshSnapshot s = snapshot.get();
    int total = s == null ? 0 : s.endpoints(service).size();
    int probing = 0;
    int rejecting = 0;
    Map<String, GateState> g = gates.get(service);
    if (g != null) {
      for (GateState st : g.values()) {
        if (st == GateState.PROBING) {
          probing++;
        } else if (st == GateState.REJECTING) {
          rejecting++;
        }
      }
    }
    switch (state) {
      case "probing":
        return probing;
      case "rejecting":
        return rejecting;
      default:
        return Math.max(total - probing - rejecting, 0);
    }
  }

  void gateStateChanged(ServiceName service, Endpoint endpoint, GateState from, GateState to) {
    Map<String, GateState> g = gates.computeIfAbsent(service, s -> new ConcurrentHashMap<>());
    if (to == GateState.ADMITTING) {
      g.remove(endpoint.authority());
    } else {
      g.put(endpoint.authority(), to);
    }
    registry
        .counter(
            MetricNames.GATE_TRANSITIONS,
            MetricNames.SERVICE,
            service.toString(),
            MetricNames.FROM,
            from.name().toLowerCase(Locale.ROOT),
            MetricNames.TO,
            to.name().toLowerCase(Locale.ROOT))
        .increment();
  }

  void configRejected() {
    configRejections.increment();
  }

  void sourceFailed(String source) {
    registry.counter(MetricNames.SOURCE_FAILURES, MetricNames.SOURCE, source).increment();
    sourceUp(source).set(0);
  }

  void sourceRecovered(String source) {
    sourceUp(source).set(1);
  }

  private AtomicInteger sourceUp(String source) {
    return sourcesUp.computeIfAbsent(
        source,
        s ->
            registry.gauge(
                MetricNames.SOURCE_UP, Tags.of(MetricNames.SOURCE, s), new AtomicInteger(1)));
  }

  void backendUnavailable(ServiceName service, Backend backend) {
    registry
        .counter(
            MetricNames.BACKEND_UNAVAILABLE,
            MetricNames.AUTHORITY,
            service.toString(),
            MetricNames.BACKEND,
            backend.name())
        .increment();
  }

  void accessDenied(InboundCall call) {
    registry
        .counter(
            MetricNames.ACCESS_DENIED,
            MetricNames.PROTOCOL,
            call.protocol().name().toLowerCase(Locale.ROOT))
        .increment();
  }

  /** A certificate came into use: count it and expose its expiry (Unix seconds) per source. */
  void identityUpdated(String source, X509Identity identity) {
    registry.counter(MetricNames.IDENTITY_UPDATES, MetricNames.SOURCE, source).increment();
    if (identities.put(source, identity) == null) {
      Gauge.builder(
              MetricNames.IDENTITY_EXPIRATION,
              identities,
              ids -> {
                X509Identity id = ids.get(source);
                return id == null ? Double.NaN : id.notAfter().getEpochSecond();
              })
          .tag(MetricNames.SOURCE, source)
          .strongReference(true)
          .register(registry);
    }
  }

  void identityExpiring(String source) {
    registry.counter(MetricNames.IDENTITY_EXPIRING, MetricNames.SOURCE, source).increment();
  }
}
