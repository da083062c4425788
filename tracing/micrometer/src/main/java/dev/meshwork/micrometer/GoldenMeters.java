package dev.meshwork.micrometer;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshSnapshot;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Finds the meters of a call or an inbound request without a registry lookup. Outbound: an identity
 * map from the snapshot's {@link Route} objects to their backends' {@link BackendMeters}, read with
 * one volatile load and replaced copy-on-write (on the first call through a new route object, and
 * rebuilt for the services in use whenever a snapshot is applied, since snapshots may bring new
 * route objects). Behind it, one {@link BackendMeters} per (service, route, backend) tag tuple, so
 * a route object replaced by an equal one keeps its meters and window.
 *
 * <p>Thread-safe.
 */
final class GoldenMeters {

  /** Past this many gRPC methods served, further ones share {@code route="other"}. */
  static final int MAX_INBOUND_ROUTES = 1_000;

  private final MeterRegistry registry;
  private final Tags common;
  private final boolean perEndpoint;
  private final long windowNanos;
  private final Consumer<ServiceName> backendSeen;
  private final AtomicReference<IdentityHashMap<Route, RouteMeters>> index =
      new AtomicReference<>(new IdentityHashMap<>());
  private final ConcurrentHashMap<BackendMeters.EdgeKey, BackendMeters> edges =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ServiceName, ServiceMeters> services = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, RequestMeters> inbound = new ConcurrentHashMap<>();
  private volatile @Nullable RequestMeters httpInbound;
  final TrafficWindow inboundWindow;
  private volatile @Nullable Mesh mesh;

  GoldenMeters(
      MeterRegistry registry,
      Tags common,
      boolean perEndpoint,
      long windowNanos,
      Consumer<ServiceName> backendSeen) {
    this.registry = registry;
    this.common = common;
    this.perEndpoint = perEndpoint;
    this.windowNanos = windowNanos;
    this.backendSeen = backendSeen;
    this.inboundWindow = new TrafficWindow(windowNanos);
  }

  /** The meters of the call's backend on its route: usually one identity-map hit. */
  BackendMeters forCall(MeshCall call) {
    Route route = call.route();
    Backend backend = call.backend();
    RouteMeters row = index.get().get(route);
    if (row != null) {
      BackendMeters m = row.get(backend);
      if (m != null) {
        return m;
      }
    }
    BackendMeters m = edge(call.service(), route, backend);
    while (true) {
      IdentityHashMap<Route, RouteMeters> current = index.get();
      IdentityHashMap<Route, RouteMeters> next = new IdentityHashMap<>(current);
      RouteMeters r = current.get(route);
      next.put(route, r == null ? new RouteMeters(backend, m) : r.with(backend, m));
      if (index.compareAndSet(current, next)) {
        return m;
      }
    }
  }

  private BackendMeters edge(ServiceName service, Route route, Backend backend) {
    BackendMeters.EdgeKey key =
        new BackendMeters.EdgeKey(service.toString(), route.name(), backend.name());
    BackendMeters m = edges.get(key);
    if (m != null) {
      return m;
    }
    return edges.computeIfAbsent(
        key,
        k -> {
          ServiceMeters s = services.computeIfAbsent(service, this::newServiceMeters);
          backendSeen.accept(backend.service());
          return new BackendMeters(
              registry, common, k, service, backend, s, perEndpoint, windowNanos);
        });
  }

  private ServiceMeters newServiceMeters(ServiceName service) {
    ServiceMeters s = new ServiceMeters(registry, service);
    Mesh m = mesh;
    if (m != null) {
      s.bindBudget(m);
    }
    return s;
  }

  /** The inbound meters of a request: one for HTTP, one per gRPC method. */
  RequestMeters forInbound(InboundCall call) {
    if (call.protocol() != InboundCall.Protocol.GRPC) {
      RequestMeters m = httpInbound;
      if (m == null) {
        // Registered on the first request, so a client-only application exports no inbound series.
        m = inbound.computeIfAbsent("", this::inboundMeters);
        httpInbound = m;
      }
      return m;
    }
    String method = call.path();
    RequestMeters m = inbound.get(method);
    if (m != null) {
      return m;
    }
    if (inbound.size() >= MAX_INBOUND_ROUTES) {
      return inbound.computeIfAbsent("other", this::inboundMeters);
    }
    return inbound.computeIfAbsent(method, k -> inboundMeters(k.substring(1)));
  }

  private RequestMeters inboundMeters(String route) {
    Tags t =
        common.and(
            Tags.of(
                MetricNames.DIRECTION, MetricNames.INBOUND,
                MetricNames.AUTHORITY, "",
                MetricNames.DST_NAMESPACE, "",
                MetricNames.DST_SERVICE, "",
                MetricNames.BACKEND, "",
                MetricNames.ROUTE, route));
    if (perEndpoint) {
      // Prometheus needs one set of tag keys per name: inbound series carry an empty target_addr.
      t = t.and(MetricNames.TARGET_ADDR, "");
    }
    return new RequestMeters(
        registry, t, MetricNames.REQUEST, MetricNames.RESPONSE, MetricNames.RESPONSE_LATENCY);
  }

  /** Retry budget gauges for every service called so far and every one called from now on. */
  void bind(Mesh mesh) {
    this.mesh = mesh;
    for (ServiceMeters s : services.values()) {
      s.bindBudget(mesh);
    }
  }

  Collection<BackendMeters> edges() {
    return edges.values();
  }

  @Nullable BackendMeters find(BackendMeters.EdgeKey key) {
    return edges.get(key);
  }

  /** Route objects indexed and backend entries under them, for tests of the cache's bounds. */
  int[] indexSize() {
    IdentityHashMap<Route, RouteMeters> current = index.get();
    int backends = 0;
    for (RouteMeters r : current.values()) {
      backends += r.backends.length;
    }
    return new int[] {current.size(), backends};
  }

  /**
   * Re-indexes the services in use under the snapshot's route objects, forgets backends no longer
   * routed to, and drops per-endpoint meters of endpoints that left.
   */
  void snapshotApplied(MeshSnapshot snapshot) {
    IdentityHashMap<Route, RouteMeters> next = new IdentityHashMap<>();
    Set<BackendMeters.EdgeKey> live = new HashSet<>();
    for (ServiceMeters s : services.values()) {
      for (Route route : snapshot.routes(s.service)) {
        RouteMeters row = null;
        for (Backend backend : route.backends()) {
          BackendMeters m = edge(s.service, route, backend);
          live.add(m.key);
          row = row == null ? new RouteMeters(backend, m) : row.with(backend, m);
        }
        if (row != null) {
          next.put(route, row);
        }
      }
    }
    index.set(next);
    edges.keySet().retainAll(live);
    if (perEndpoint) {
      for (BackendMeters m : edges.values()) {
        if (m.hasEndpointMeters()) {
          Set<String> present = new HashSet<>();
          for (Endpoint e : snapshot.endpoints(m.backendService)) {
            present.add(e.authority());
          }
          m.retainEndpoints(present);
        }
      }
    }
  }

  /** The backends of one route object, matched by identity (a route lists a handful). */
  private static final class RouteMeters {
    private final Backend[] backends;
    private final BackendMeters[] meters;

    RouteMeters(Backend backend, BackendMeters m) {
      this(new Backend[] {backend}, new BackendMeters[] {m});
    }

    private RouteMeters(Backend[] backends, BackendMeters[] meters) {
      this.backends = backends;
      this.meters = meters;
    }

    @Nullable BackendMeters get(Backend backend) {
      for (int i = 0; i < backends.length; i++) {
        if (backends[i] == backend) {
          return meters[i];
        }
      }
      return null;
    }

    RouteMeters with(Backend backend, BackendMeters m) {
      Backend[] b = Arrays.copyOf(backends, backends.length + 1);
      BackendMeters[] ms = Arrays.copyOf(meters, meters.length + 1);
      b[backends.length] = backend;
      ms[meters.length] = m;
      return new RouteMeters(b, ms);
    }
  }
}
