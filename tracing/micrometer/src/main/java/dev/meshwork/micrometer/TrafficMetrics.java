package dev.meshwork.micrometer;

import dev.meshwork.Backend;
import dev.meshwork.MeshSnapshot;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import dev.meshwork.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * This application's traffic in the shape of SMI's {@code metrics.smi-spec.io/v1alpha1}
 * TrafficMetrics, as JSON: success and failure counts and p50/p90/p99 latency over a sliding window
 * (30 s by default), for
 *
 * <ul>
 *   <li>{@linkplain #deploymentJson() the application itself} (a {@code Deployment}, as configured
 *       in {@link MeshMetrics.Builder#deployment}): every request its servers received;
 *   <li>{@linkplain #edgesJson() its edges}: that inbound edge, and one edge to each service it
 *       called;
 *   <li>{@linkplain #serviceJson a service} it called, or a backend of one (a backend is a service
 *       too): the calls that went to it, seen from this client;
 *   <li>{@linkplain #trafficSplitJson a service's splits}: one item per backend of each weighted
 *       route (SMI's TrafficSplit; the route's name is the split's), with the backend's weight.
 * </ul>
 *
 * <p>Outbound counts are logical calls (what the application saw after retries), classified once by
 * the mesh; a call the caller cancelled is not counted. Latency metrics are left out of an item
 * that saw no traffic in the window, since no data is not zero seconds. Latency values are
 * Kubernetes quantities in seconds ({@code 10m} = 10 ms), interpolated within Linkerd's histogram
 * buckets as Prometheus's {@code histogram_quantile} does.
 *
 * <p>Memory is fixed per edge (a ring of ten time slots), and edges are bounded by the routes in
 * use. Thread-safe; obtained from {@link MeshMetrics#trafficMetrics()}:
 *
 * <pre>{@code
 * String json = metrics.trafficMetrics().trafficSplitJson(ServiceName.of("reviews"));
 * }</pre>
 */
public final class TrafficMetrics {

  /** The API group and version of every object this view writes. */
  public static final String API_VERSION = "metrics.smi-spec.io/v1alpha1";

  private final String namespace;
  private final String deployment;
  private final Duration window;
  private final Clock clock;
  private final GoldenMeters golden;
  private volatile Ticker ticker;
  private volatile @Nullable MeshSnapshot snapshot;

  TrafficMetrics(
      String namespace,
      String deployment,
      Duration window,
      Clock clock,
      Ticker ticker,
      GoldenMeters golden) {
    this.namespace = namespace;
    this.deployment = deployment;
    this.window = window;
    this.clock = clock;
    this.ticker = ticker;
    this.golden = golden;
  }

  void ticker(Ticker ticker) {
    this.ticker = ticker;
  }

  void snapshot(MeshSnapshot snapshot) {
    this.snapshot = snapshot;
  }

  /** The window every count and percentile covers. */
  public Duration window() {
    return window;
  }

  /** Every request this application's servers received ({@code TrafficMetrics}). */
  public String deploymentJson() {
    return Json.write(inboundItem());
  }

  /**
   * The application's edges ({@code TrafficMetricsList}): what it received, and what it sent to
   * each service it called.
   */
  public String edgesJson() {
    long now = ticker.nanoTime();
    Map<ServiceName, TrafficWindow.Totals> byService = new LinkedHashMap<>();
    for (BackendMeters m : golden.edges()) {
      byService.merge(m.apex, m.window.totals(now), TrafficWindow.Totals::plus);
    }
    List<Object> items = new ArrayList<>();
    items.add(inboundItem());
    byService.forEach(
        (service, totals) ->
            items.add(
                item(
                    self(),
                    edge("to", "client", resource("Service", service.name(), service.namespace())),
                    null,
                    totals)));
    return Json.write(list(self(), items));
  }

  /**
   * The calls this application sent to {@code service}, whether addressed to it or reaching it as
   * the backend of another service's split ({@code TrafficMetrics} of kind {@code Service}).
   */
  public String serviceJson(ServiceName service) {
    Objects.requireNonNull(service, "service");
    long now = ticker.nanoTime();
    TrafficWindow.Totals totals = TrafficWindow.Totals.EMPTY;
    for (BackendMeters m : golden.edges()) {
      if (m.apex.equals(service) || m.backendService.equals(service)) {
        totals = totals.plus(m.window.totals(now));
      }
    }
    return Json.write(
        item(
            resource("Service", service.name(), service.namespace()),
            edge("from", "client", self()),
            null,
            totals));
  }

  /**
   * One item per backend of each of {@code apex}'s weighted routes ({@code TrafficMetricsList} of
   * kind {@code TrafficSplit}); empty when the service has no split or the mesh does not know it.
   */
  public String trafficSplitJson(ServiceName apex) {
    Objects.requireNonNull(apex, "apex");
    long now = ticker.nanoTime();
    MeshSnapshot s = snapshot;
    List<Object> items = new ArrayList<>();
    for (Route route : s == null ? List.<Route>of() : s.routes(apex)) {
      if (!isSplit(apex, route)) {
        continue;
      }
      String name = route.name().isEmpty() ? apex.name() : route.name();
      Map<String, Object> split = resource("TrafficSplit", name, apex.namespace());
      for (Backend b : route.backends()) {
        BackendMeters m =
            golden.find(new BackendMeters.EdgeKey(apex.toString(), route.name(), b.name()));
        TrafficWindow.Totals totals = m == null ? TrafficWindow.Totals.EMPTY : m.window.totals(now);
        Map<String, Object> backend = new LinkedHashMap<>();
        backend.put("apex", apex.name());
        backend.put(
            "name",
            b.subset() == null ? b.service().name() : b.service().name() + "/" + b.subset());
        backend.put("weight", b.weight());
        items.add(item(split, edge("from", "client", Map.of()), backend, totals));
      }
    }
    Map<String, Object> kind = new LinkedHashMap<>();
    kind.put("kind", "TrafficSplit");
    kind.put("namespace", apex.namespace());
    return Json.write(list(kind, items));
  }

  /** A route is a split unless it is the implicit default route straight to the service itself. */
  private static boolean isSplit(ServiceName apex, Route route) {
    List<Backend> backends = route.backends();
    return !(backends.size() == 1
        && backends.get(0).service().equals(apex)
        && backends.get(0).subset() == null);
  }

  private Map<String, Object> inboundItem() {
    return item(
        self(),
        edge("from", "server", Map.of()),
        null,
        golden.inboundWindow.totals(ticker.nanoTime()));
  }

  private Map<String, Object> self() {
    return resource("Deployment", deployment, namespace);
  }

  private static Map<String, Object> resource(String kind, String name, String namespace) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("kind", kind);
    r.put("name", name);
    r.put("namespace", namespace);
    return r;
  }

  private static Map<String, Object> edge(String direction, String side, Map<String, ?> resource) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("direction", direction);
    e.put("side", side);
    e.put("resource", resource);
    return e;
  }

  private Map<String, Object> item(
      Map<String, Object> resource,
      Map<String, Object> edge,
      @Nullable Map<String, Object> backend,
      TrafficWindow.Totals totals) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("apiVersion", API_VERSION);
    item.put("kind", "TrafficMetrics");
    item.put("resource", resource);
    item.put("edge", edge);
    if (backend != null) {
      item.put("backend", backend);
    }
    item.put("timestamp", clock.instant().toString());
    item.put("window", window.toSeconds() + "s");
    List<Object> metrics = new ArrayList<>();
    if (totals.count() > 0) {
      metrics.add(latency("p99_response_latency", totals.quantileMillis(0.99)));
      metrics.add(latency("p90_response_latency", totals.quantileMillis(0.90)));
      metrics.add(latency("p50_response_latency", totals.quantileMillis(0.50)));
    }
    metrics.add(metric("success_count", null, Long.toString(totals.success)));
    metrics.add(metric("failure_count", null, Long.toString(totals.failure)));
    item.put("metrics", metrics);
    return item;
  }

  private static Map<String, Object> list(Map<String, Object> resource, List<Object> items) {
    Map<String, Object> list = new LinkedHashMap<>();
    list.put("apiVersion", API_VERSION);
    list.put("kind", "TrafficMetricsList");
    list.put("resource", resource);
    list.put("items", items);
    return list;
  }

  private static Map<String, Object> latency(String name, double millis) {
    return metric(name, "seconds", quantitySeconds(millis));
  }

  private static Map<String, Object> metric(String name, @Nullable String unit, String value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    if (unit != null) {
      m.put("unit", unit);
    }
    m.put("value", value);
    return m;
  }

  /**
   * Milliseconds as a Kubernetes quantity of seconds: {@code 10m} for 10 ms, {@code 2500u} for 2.5
   * ms (rounded to microseconds).
   */
  static String quantitySeconds(double millis) {
    long micros = Math.round(millis * 1000);
    if (micros == 0) {
      return "0";
    }
    return micros % 1000 == 0 ? (micros / 1000) + "m" : micros + "u";
  }
}
