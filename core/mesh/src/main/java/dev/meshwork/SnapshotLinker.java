package dev.meshwork;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns merged configuration and the current endpoint sets into a {@link MeshSnapshot}: validates
 * cross-references, resolves each route's backends to endpoint sets (subsets filtered once here,
 * not per request), and indexes services by every host name a client may use. Pure apart from its
 * subset cache; runs on the control thread.
 */
final class SnapshotLinker {

  private final Mesh mesh;

  /** Subset views keyed by "service/subset", rebuilt only when the service's endpoints change. */
  private Map<String, SubsetView> subsetCache = new HashMap<>();

  private record SubsetView(EndpointSet base, Subset subset, EndpointSet view) {}

  /** A backend that has a weight but no endpoints, so its share goes elsewhere. */
  record Unavailable(ServiceName service, Route route, Backend backend) {}

  SnapshotLinker(Mesh mesh) {
    this.mesh = mesh;
  }

  /**
   * Checks what can only be checked across services: every subset a route names is defined.
   *
   * @throws ConfigException naming the route, the field and the undefined subset
   */
  static void validate(Map<ServiceName, ServiceConfig> services) {
    for (ServiceConfig config : services.values()) {
      for (Map.Entry<String, List<Backend>> f : config.failover().entrySet()) {
        if (!f.getKey().equals(ServiceConfig.ANY_SUBSET)
            && !config.subsets().containsKey(f.getKey())) {
          throw ConfigException.of(
              config.origin(),
              config.service() + " failover",
              f.getKey(),
              "\"*\" or a subset defined for "
                  + config.service()
                  + ": "
                  + config.subsets().keySet());
        }
        for (int j = 0; j < f.getValue().size(); j++) {
          checkSubset(
              services,
              config.origin(),
              config.service() + " failover[" + f.getKey() + "][" + j + "].subset",
              f.getValue().get(j));
        }
      }
      List<Route> routes = config.routes();
      for (int i = 0; i < routes.size(); i++) {
        List<Backend> backends = routes.get(i).backends();
        for (int j = 0; j < backends.size(); j++) {
          checkSubset(
              services,
              routes.get(i).origin(),
              config.service() + " routes[" + i + "].backends[" + j + "].subset",
              backends.get(j));
        }
      }
    }
  }

  private static void checkSubset(
      Map<ServiceName, ServiceConfig> services, String origin, String field, Backend b) {
    if (b.subset() == null) {
      return;
    }
    ServiceConfig target = services.get(b.service());
    Set<String> defined = target == null ? Set.of() : target.subsets().keySet();
    if (!defined.contains(b.subset())) {
      throw ConfigException.of(
          origin, field, b.subset(), "a subset defined for " + b.service() + ": " + defined);
    }
  }

  MeshSnapshot link(
      long generation,
      Map<ServiceName, ServiceConfig> services,
      Map<ServiceName, EndpointSet> endpoints,
      AccessPolicy accessPolicy,
      Function<ServiceName, RetryBudget> budgets,
      List<Unavailable> unavailable) {
    Set<ServiceName> known = new LinkedHashSet<>(services.keySet());
    known.addAll(endpoints.keySet());
    for (ServiceConfig c : services.values()) {
      for (Route r : c.routes()) {
        for (Backend b : r.backends()) {
          known.add(b.service());
        }
      }
      for (List<Backend> targets : c.failover().values()) {
        for (Backend b : targets) {
          known.add(b.service());
        }
      }
    }
    Map<String, SubsetView> nextCache = new HashMap<>();
    Map<ServiceName, ServiceRouting> routings = new LinkedHashMap<>();
    Map<String, ServiceRouting> byHost = new HashMap<>();
    for (ServiceName service : known) {
      ServiceConfig config = services.get(service);
      if (config == null) {
        config = ServiceConfig.builder(service).origin("implicit").build();
      }
      List<Route> routes = new ArrayList<>(config.routes());
      if (routes.isEmpty() || !routes.get(routes.size() - 1).matchesEverything()) {
        routes.add(
            Route.builder()
                .name("default")
                .backends(Backend.of(service, 1))
                .origin(config.origin() + " (default route)")
                .build());
      }
      CompiledRoute[] compiled = new CompiledRoute[routes.size()];
      for (int i = 0; i < compiled.length; i++) {
        compiled[i] = compile(routes.get(i), config, services, endpoints, nextCache);
        for (LinkedBackend b : compiled[i].backends) {
          if (compiled[i].isUnavailable(b)) {
            unavailable.add(new Unavailable(service, routes.get(i), b.backend));
          }
        }
      }
      ServiceRouting routing =
          new ServiceRouting(service, config, compiled, budgets.apply(service));
      routings.put(service, routing);
      indexHosts(service, routing, byHost);
    }
    subsetCache = nextCache;
    return new MeshSnapshot(
        generation,
        java.util.Collections.unmodifiableMap(routings),
        byHost,
        Map.copyOf(endpoints),
        accessPolicy);
  }

  private CompiledRoute compile(
      Route route,
      ServiceConfig apex,
      Map<ServiceName, ServiceConfig> services,
      Map<ServiceName, EndpointSet> endpoints,
      Map<String, SubsetView> nextCache) {
    RetryPolicy policy = route.retryPolicy();
    if (policy == null) {
      policy = apex.retryPolicy() != null ? apex.retryPolicy() : mesh.retryPolicy;
    }
    java.time.Duration timeout = route.timeout() != null ? route.timeout() : apex.timeout();
    List<Backend> backends = route.backends();
    LinkedBackend[] linked = new LinkedBackend[backends.size()];
    for (int i = 0; i < linked.length; i++) {
      Backend b = backends.get(i);
      Backend servedBy = b;
      EndpointSet set = resolve(b, services, endpoints, nextCache);
      if (set.isEmpty()) {
        for (Backend target : failoverTargets(b, services)) {
          EndpointSet candidate = resolve(target, services, endpoints, nextCache);
          if (!candidate.isEmpty()) {
            servedBy = target;
            set = candidate;
            break;
          }
        }
      }
      ServiceConfig target = services.get(servedBy.service());
      Balancer balancer = target != null && target.balancer() != null ? target.balancer() : null;
      if (balancer == null) {
        balancer = apex.balancer() != null ? apex.balancer() : mesh.balancer;
      }
      linked[i] = new LinkedBackend(b, set, balancer);
    }
    return new CompiledRoute(route, policy, timeout == null ? 0 : timeout.toNanos(), linked);
  }

  private EndpointSet resolve(
      Backend b,
      Map<ServiceName, ServiceConfig> services,
      Map<ServiceName, EndpointSet> endpoints,
      Map<String, SubsetView> nextCache) {
    EndpointSet base = endpoints.getOrDefault(b.service(), EndpointSet.EMPTY);
    if (b.subset() == null) {
      return base;
    }
    return subset(b, base, services.get(b.service()).subsets().get(b.subset()), nextCache);
  }

  /** The backend's failover targets (for its subset, else for any subset); none if unset. */
  private static List<Backend> failoverTargets(
      Backend b, Map<ServiceName, ServiceConfig> services) {
    ServiceConfig config = services.get(b.service());
    if (config == null || config.failover().isEmpty()) {
      return List.of();
    }
    List<Backend> targets = b.subset() == null ? null : config.failover().get(b.subset());
    if (targets == null) {
      targets = config.failover().get(ServiceConfig.ANY_SUBSET);
    }
    return targets == null ? List.of() : targets;
  }

  private EndpointSet subset(
      Backend backend, EndpointSet base, Subset subset, Map<String, SubsetView> nextCache) {
    String key = backend.name();
    SubsetView cached = subsetCache.get(key);
    if (cached == null || cached.base != base || cached.subset != subset) {
      List<EndpointState> selected = new ArrayList<>();
      for (EndpointState s : base.states) {
        if (subset.contains(s.endpoint())) {
          selected.add(s);
        }
      }
      cached = new SubsetView(base, subset, EndpointSet.of(selected));
    }
    nextCache.put(key, cached);
    return cached.view;
  }

  private void indexHosts(
      ServiceName s, ServiceRouting routing, Map<String, ServiceRouting> byHost) {
    String qualified = s.name() + "." + s.namespace();
    byHost.put(qualified, routing);
    byHost.put(qualified + ".svc", routing);
    byHost.put(qualified + ".svc.cluster.local", routing);
    if (s.namespace().equals(mesh.defaultNamespace)) {
      byHost.put(s.name(), routing);
    }
  }
}
