package dev.meshwork.micrometer;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Everything measured about one backend of one route of one service: the attempt-level golden
 * meters (per endpoint when enabled), the call-level {@code route_*} meters, the failed-open
 * counter and the TrafficMetrics window. A call finds its instance once, when it starts, and keeps
 * it as an attachment; meters are registered on first use, so routes nobody calls export nothing.
 *
 * <p>Thread-safe.
 */
final class BackendMeters {

  /** Past this many endpoints of one backend, further ones share {@code target_addr="other"}. */
  static final int MAX_ENDPOINTS = 1_000;

  private static final String OTHER = "other";

  final EdgeKey key;
  final ServiceName apex;
  final ServiceName backendService;
  final ServiceMeters service;
  final TrafficWindow window;
  private final MeterRegistry registry;
  private final Tags tags;
  private final boolean perEndpoint;
  private final ConcurrentHashMap<String, RequestMeters> endpoints = new ConcurrentHashMap<>();
  private volatile @Nullable RequestMeters attempts;
  private volatile @Nullable RequestMeters calls;
  private volatile @Nullable Counter failedOpen;

  BackendMeters(
      MeterRegistry registry,
      Tags common,
      EdgeKey key,
      ServiceName apex,
      Backend backend,
      ServiceMeters service,
      boolean perEndpoint,
      long windowNanos) {
    this.registry = registry;
    this.key = key;
    this.apex = apex;
    this.backendService = backend.service();
    this.service = service;
    this.perEndpoint = perEndpoint;
    this.window = new TrafficWindow(windowNanos);
    this.tags =
        common.and(
            Tags.of(
                MetricNames.DIRECTION, MetricNames.OUTBOUND,
                MetricNames.AUTHORITY, apex.toString(),
                MetricNames.DST_NAMESPACE, backendService.namespace(),
                MetricNames.DST_SERVICE, backendService.name(),
                MetricNames.BACKEND, backend.name(),
                MetricNames.ROUTE, key.route()));
  }

  /** The meters attempts to {@code endpoint} count in: per endpoint, or the backend's. */
  RequestMeters attempts(Endpoint endpoint) {
    if (perEndpoint) {
      RequestMeters m = endpoints.get(endpoint.authority());
      return m != null ? m : endpoint(endpoint.authority());
    }
    RequestMeters m = attempts;
    if (m == null) {
      synchronized (this) {
        m = attempts;
        if (m == null) {
          m = attemptMeters(tags);
          attempts = m;
        }
      }
    }
    return m;
  }

  private RequestMeters endpoint(String authority) {
    String address = endpoints.size() < MAX_ENDPOINTS ? authority : OTHER;
    return endpoints.computeIfAbsent(
        address, a -> attemptMeters(tags.and(MetricNames.TARGET_ADDR, a)));
  }

  private RequestMeters attemptMeters(Tags t) {
    return new RequestMeters(
        registry, t, MetricNames.REQUEST, MetricNames.RESPONSE, MetricNames.RESPONSE_LATENCY);
  }

  /** The call-level ({@code route_*}) meters. */
  RequestMeters calls() {
    RequestMeters m = calls;
    if (m == null) {
      synchronized (this) {
        m = calls;
        if (m == null) {
          m =
              new RequestMeters(
                  registry,
                  tags,
                  MetricNames.ROUTE_REQUEST,
                  MetricNames.ROUTE_RESPONSE,
                  MetricNames.ROUTE_RESPONSE_LATENCY);
          calls = m;
        }
      }
    }
    return m;
  }

  Counter failedOpen() {
    Counter c = failedOpen;
    if (c == null) {
      c =
          Counter.builder(MetricNames.FAILED_OPEN)
              .tags(MetricNames.AUTHORITY, apex.toString(), MetricNames.BACKEND, key.backend())
              .register(registry);
      failedOpen = c;
    }
    return c;
  }

  /** Drops the per-endpoint meters of endpoints that left the backend's service. */
  void retainEndpoints(Set<String> present) {
    endpoints
        .entrySet()
        .removeIf(
            e -> {
              boolean gone = !present.contains(e.getKey()) && !e.getKey().equals(OTHER);
              if (gone) {
                e.getValue().remove();
              }
              return gone;
            });
  }

  boolean hasEndpointMeters() {
    return !endpoints.isEmpty();
  }

  /** Identifies a backend of a route of a service, by what its meters are tagged with. */
  record EdgeKey(String authority, String route, String backend) {}
}
