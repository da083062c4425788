package dev.meshwork.smi;

import dev.meshwork.AccessRule;
import dev.meshwork.ConfigException;
import dev.meshwork.IdentityMatch;
import dev.meshwork.MeshConfig;
import dev.meshwork.RequestMatch;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles a set of {@link Resource}s into one {@link MeshConfig}: TrafficSplits and Gateway API
 * routes into each Service's routes, TrafficTargets into access rules. Resources that reference
 * each other (a split and its HTTPRouteGroups, a target and its routes and bindings) are resolved
 * here; when a reference is broken, the resource keeps the output it compiled to last time (or
 * contributes nothing if it never compiled) and the problem is returned, so one bad reference never
 * takes down what works.
 *
 * <p>Per Service: Gateway API matches first, in Gateway API's precedence order; then TrafficSplits
 * with {@code matches}; then the one TrafficSplit without matches, if any; requests no route takes
 * go to the Service's own endpoints. Not thread-safe: one per source, used under its lock.
 */
final class Compiler {

  /** The result: the config to publish and the problems found while compiling it. */
  record Result(MeshConfig config, List<ConfigException> problems) {}

  private static final Comparator<Resource.Entry> PRECEDENCE =
      Comparator.comparingInt(Resource.Entry::pathRank)
          .thenComparingInt(Resource.Entry::pathLength)
          .thenComparing(Resource.Entry::method)
          .thenComparingInt(Resource.Entry::headers)
          .thenComparingInt(Resource.Entry::queries)
          .reversed();

  private Map<Resource.Id, List<Route>> lastSplits = new HashMap<>();
  private Map<Resource.Id, List<AccessRule>> lastTargets = new HashMap<>();

  /** Compiles {@code resources}, whose ids are unique. */
  Result compile(List<Resource> resources) {
    List<ConfigException> problems = new ArrayList<>();
    Map<String, Resource> byRef = new HashMap<>();
    for (Resource r : resources) {
      byRef.put(ref(r.id().kind(), r.id().namespace(), r.id().name()), r);
    }
    Map<ServiceName, Contributions> services = new TreeMap<>();
    Map<Resource.Id, List<Route>> splits = new HashMap<>();
    Map<Resource.Id, List<AccessRule>> targets = new HashMap<>();
    List<AccessRule> rules = new ArrayList<>();
    List<Resource> sorted = new ArrayList<>(resources);
    sorted.sort(Comparator.comparing(Resource::id));
    for (Resource r : sorted) {
      if (r instanceof Resource.TrafficSplit s) {
        List<Route> routes = compiled(s.id(), () -> split(s, byRef), lastSplits, problems);
        splits.put(s.id(), routes);
        for (Route route : routes) {
          services.computeIfAbsent(s.apex(), k -> new Contributions()).addSplit(s, route, problems);
        }
      } else if (r instanceof Resource.MeshRoute m) {
        for (Resource.Entry e : m.entries()) {
          services.computeIfAbsent(e.parent(), k -> new Contributions()).add(m, e);
        }
      } else if (r instanceof Resource.TrafficTarget t) {
        List<AccessRule> compiled = compiled(t.id(), () -> target(t, byRef), lastTargets, problems);
        targets.put(t.id(), compiled);
        rules.addAll(compiled);
      }
    }
    lastSplits = splits;
    lastTargets = targets;
    MeshConfig.Builder config = MeshConfig.builder();
    services.forEach((service, c) -> config.service(c.build(service)));
    config.accessRules(rules);
    return new Result(config.build(), List.copyOf(problems));
  }

  private interface Compilation<T> {
    List<T> run();
  }

  private static <T> List<T> compiled(
      Resource.Id id,
      Compilation<T> compilation,
      Map<Resource.Id, List<T>> last,
      List<ConfigException> problems) {
    try {
      return compilation.run();
    } catch (ConfigException e) {
      problems.add(e);
      return last.getOrDefault(id, List.of());
    }
  }

  private static List<Route> split(Resource.TrafficSplit s, Map<String, Resource> byRef) {
    Route.Builder route =
        Route.builder().name(s.id().name()).backends(s.backends()).origin(s.origin());
    List<String> groups = s.routeGroups();
    for (int i = 0; i < groups.size(); i++) {
      Resource.HttpRouteGroup g =
          group(byRef, s.id().namespace(), groups.get(i), s.origin(), "spec.matches[" + i + "]");
      if (g.matches().isEmpty()) {
        throw ConfigException.of(
            s.origin(),
            "spec.matches[" + i + "].name",
            groups.get(i),
            "an HTTPRouteGroup with at least one match");
      }
      g.matches().values().forEach(route::match);
    }
    return List.of(route.build());
  }

  private static List<AccessRule> target(Resource.TrafficTarget t, Map<String, Resource> byRef) {
    String ns = t.id().namespace();
    List<RequestMatch> requests = new ArrayList<>();
    boolean http = false;
    for (Resource.Rule rule : t.rules()) {
      if (!rule.kind().equals("HTTPRouteGroup")) {
        if (!byRef.containsKey(ref(rule.kind(), ns, rule.name()))) {
          throw ConfigException.of(
              t.origin(), rule.field() + ".name", rule.name(), "a " + rule.kind() + " in " + ns);
        }
        continue;
      }
      http = true;
      Resource.HttpRouteGroup g = group(byRef, ns, rule.name(), t.origin(), rule.field());
      if (rule.matches().isEmpty()) {
        requests.addAll(g.matches().values());
      }
      for (int i = 0; i < rule.matches().size(); i++) {
        RequestMatch m = g.matches().get(rule.matches().get(i));
        if (m == null) {
          throw ConfigException.of(
              t.origin(),
              rule.field() + ".matches[" + i + "]",
              rule.matches().get(i),
              "a match of HTTPRouteGroup " + ns + "/" + rule.name() + ": " + g.matches().keySet());
        }
        requests.add(m);
      }
    }
    List<AccessRule> out = new ArrayList<>();
    for (IdentityMatch destination : identities(t, t.destination(), byRef)) {
      if (http && requests.isEmpty()) {
        // The target names the destination but allows nothing: keep it denied, as SMI says.
        out.add(AccessRule.deny(IdentityMatch.any(), destination).withOrigin(t.origin()));
        continue;
      }
      for (Resource.Subject source : t.sources()) {
        for (IdentityMatch s : identities(t, source, byRef)) {
          out.add(AccessRule.allow(s, destination).withRequests(requests).withOrigin(t.origin()));
        }
      }
    }
    return out;
  }

  private static List<IdentityMatch> identities(
      Resource.TrafficTarget t, Resource.Subject subject, Map<String, Resource> byRef) {
    if (subject.kind().equals("ServiceAccount")) {
      return List.of(IdentityMatch.serviceAccount(subject.namespace(), subject.name()));
    }
    Resource r = byRef.get(ref("IdentityBinding", subject.namespace(), subject.name()));
    if (!(r instanceof Resource.IdentityBinding b)) {
      throw ConfigException.of(
          t.origin(),
          subject.field() + ".name",
          subject.name(),
          "an IdentityBinding in " + subject.namespace());
    }
    return b.identities();
  }

  private static Resource.HttpRouteGroup group(
      Map<String, Resource> byRef, String ns, String name, String origin, String field) {
    Resource r = byRef.get(ref("HTTPRouteGroup", ns, name));
    if (!(r instanceof Resource.HttpRouteGroup g)) {
      throw ConfigException.of(origin, field + ".name", name, "an HTTPRouteGroup in " + ns);
    }
    return g;
  }

  private static String ref(String kind, String namespace, String name) {
    return kind + "/" + namespace + "/" + name;
  }

  /** What the resources say about one Service, gathered before they are ordered. */
  private static final class Contributions {
    private final List<Resource.Entry> gateway = new ArrayList<>();
    private final Map<Resource.Entry, Resource.MeshRoute> owners = new HashMap<>();
    private final List<Route> matched = new ArrayList<>();
    private Route catchAll;
    private String catchAllOrigin = "";
    private final Set<String> origins = new LinkedHashSet<>();

    void add(Resource.MeshRoute owner, Resource.Entry entry) {
      gateway.add(entry);
      owners.put(entry, owner);
      origins.add(owner.origin());
    }

    void addSplit(Resource.TrafficSplit split, Route route, List<ConfigException> problems) {
      if (!route.matches().isEmpty()) {
        matched.add(route);
      } else if (catchAll == null) {
        catchAll = route;
        catchAllOrigin = split.origin();
      } else {
        problems.add(
            ConfigException.of(
                split.origin(),
                "spec.service",
                split.apex().toString(),
                "one TrafficSplit without matches per service; "
                    + catchAllOrigin
                    + " already splits every request to it"));
        return;
      }
      origins.add(split.origin());
    }

    ServiceConfig build(ServiceName service) {
      List<Resource.Entry> ordered = new ArrayList<>(gateway);
      ordered.sort(
          PRECEDENCE
              .thenComparing(e -> owners.get(e).created())
              .thenComparing(e -> owners.get(e).id())
              .thenComparingInt(Resource.Entry::index));
      List<Route> routes = new ArrayList<>();
      ordered.forEach(e -> routes.add(e.route()));
      routes.addAll(matched);
      if (catchAll != null) {
        routes.add(catchAll);
      }
      return ServiceConfig.builder(service)
          .routes(routes)
          .origin(String.join(", ", origins))
          .build();
    }
  }
}
