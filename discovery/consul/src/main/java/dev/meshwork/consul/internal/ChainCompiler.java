package dev.meshwork.consul.internal;

import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.MeshConfig;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.consul.internal.ServiceRouter.Destination;
import dev.meshwork.consul.internal.ServiceRouter.RouterRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Compiles Consul's discovery chain on the client: for every service with config entries, its
 * service-router routes (first match wins), then a default route through its service-splitter, each
 * destination resolved through service-resolvers into core {@link Backend}s. Follows Consul's
 * compiled-chain rules: a destination naming a subset (or namespace) bypasses the splitter; a split
 * to another service with its own splitter is flattened with weights multiplied; a resolver {@code
 * Redirect} substitutes its target; no subset means the resolver's {@code DefaultSubset}.
 *
 * <p>{@code PrefixRewrite} becomes the route's path rewrite; {@code Failover} targets in the local
 * partition, in this datacenter or another, become the service's failover targets ({@link
 * FailoverTargets}); one in another datacenter is a backend of a service of its own ({@link
 * RemoteServices}), configured with the subsets of the target's resolver and listed in {@link
 * Result#remotes} so that its health gets watched. What core cannot express is reported as a
 * warning (and ignored) when ignoring it only loses an optimisation or a fallback (failover to a
 * peer, another partition or a sameness group, {@code ConnectTimeout}, ring-hash balancing), and
 * rejected when ignoring it would send traffic elsewhere (a redirect to another datacenter, peer or
 * partition). Pure; not thread-safe.
 */
public final class ChainCompiler {

  /**
   * The compiled configuration and what it could not honour.
   *
   * @param remotes the services of other datacenters that failover targets name, by their mesh name
   *     ({@link RemoteServices}); their health must be watched in that datacenter
   */
  public record Result(
      MeshConfig config, List<String> warnings, Map<ServiceName, RemoteServices.Remote> remotes) {

    public Result(MeshConfig config, List<String> warnings) {
      this(config, warnings, Map.of());
    }
  }

  private record Target(ServiceName service, @Nullable String subset, long weight) {}

  private static final int MAX_DEPTH = 8;

  private final Map<String, ServiceRouter> routers;
  private final Map<String, ServiceSplitter> splitters;
  private final Map<String, ServiceResolver> resolvers;
  private final String namespace;
  private final @Nullable String datacenter;
  private final List<String> warnings = new ArrayList<>();
  private final RemoteServices remotes;

  /**
   * @param namespace the mesh namespace Consul's services live in
   */
  public ChainCompiler(
      Map<String, ServiceRouter> routers,
      Map<String, ServiceSplitter> splitters,
      Map<String, ServiceResolver> resolvers,
      String namespace) {
    this(routers, splitters, resolvers, namespace, null);
  }

  /**
   * @param datacenter the datacenter queried, when the agent was given one: failover targets in it
   *     are local
   */
  public ChainCompiler(
      Map<String, ServiceRouter> routers,
      Map<String, ServiceSplitter> splitters,
      Map<String, ServiceResolver> resolvers,
      String namespace,
      @Nullable String datacenter) {
    this.routers = routers;
    this.splitters = splitters;
    this.resolvers = resolvers;
    this.namespace = namespace;
    this.datacenter = datacenter;
    this.remotes = new RemoteServices(resolvers, namespace);
  }

  /**
   * @throws ConfigException naming the entry, field and value that cannot be compiled
   */
  public Result compile() {
    Set<String> services = new LinkedHashSet<>();
    services.addAll(routers.keySet());
    services.addAll(splitters.keySet());
    services.addAll(resolvers.keySet());
    MeshConfig.Builder config = MeshConfig.builder();
    for (String service : services) {
      config.service(serviceConfig(service));
    }
    remotes.configs().forEach(config::service);
    return new Result(config.build(), List.copyOf(warnings), remotes.watched());
  }

  private ServiceConfig serviceConfig(String service) {
    ServiceName name = name(service, null);
    ServiceResolver resolver = resolvers.get(service);
    ServiceConfig.Builder b = ServiceConfig.builder(name).origin(origin(service));
    if (resolver != null) {
      ResolverSettings.apply(resolver, b, this::warn);
      FailoverTargets.compile(
              resolver,
              datacenter,
              (to, ns, subset, dc, at) -> {
                Target t = resolve(to, ns, subset, at, 0, 1);
                ServiceName served = dc == null ? t.service() : remotes.target(t.service(), dc, at);
                return Backend.of(served, 1).withSubset(t.subset());
              },
              this::warn)
          .forEach(b::failover);
    }
    ServiceRouter router = routers.get(service);
    if (router != null) {
      for (int i = 0; i < router.routes().size(); i++) {
        b.route(route(service, router.routes().get(i), i));
      }
    }
    List<Target> defaults = split(service, new LinkedHashSet<>(), 0, null);
    if (router != null || !isPlain(service, defaults)) {
      String from =
          splitters.containsKey(service)
              ? "consul service-splitter " + service
              : resolvers.containsKey(service)
                  ? "consul service-resolver " + service
                  : "consul service-router " + service + " (default route)";
      b.route(
          Route.builder()
              .name("default")
              .backends(backends(defaults))
              .timeout(timeoutOf(defaults))
              .origin(from)
              .build());
    }
    return b.build();
  }

  private String origin(String service) {
    List<String> kinds = new ArrayList<>();
    if (routers.containsKey(service)) {
      kinds.add("service-router");
    }
    if (splitters.containsKey(service)) {
      kinds.add("service-splitter");
    }
    if (resolvers.containsKey(service)) {
      kinds.add("service-resolver");
    }
    return "consul " + String.join("+", kinds) + " " + service;
  }

  /** Whether the default route would be core's own: the whole service, nothing more. */
  private boolean isPlain(String service, List<Target> targets) {
    return targets.size() == 1
        && targets.get(0).subset() == null
        && targets.get(0).service().equals(name(service, null));
  }

  private Route route(String service, RouterRoute r, int i) {
    Destination d = r.destination();
    Json at = r.at().field("Destination");
    String target = d.service().isEmpty() ? service : d.service();
    checkPartition(d.partition(), at.field("Partition"));
    List<Target> targets =
        !d.serviceSubset().isEmpty() || !d.namespace().isEmpty()
            ? List.of(resolve(target, d.namespace(), blankToNull(d.serviceSubset()), at, 0, 10000))
            : split(target, new LinkedHashSet<>(), 0, at);
    if (d.idleTimeout() != null) {
      warn(at.field("IdleTimeout"), "is not supported; ignored");
    }
    if (!d.responseHeaders().isEmpty()) {
      warn(at.field("ResponseHeaders"), "is not supported (core modifies request headers only)");
    }
    Duration timeout = positive(d.requestTimeout());
    Route.Builder b =
        Route.builder()
            .name(service + " routes[" + i + "]")
            .backends(backends(targets))
            .timeout(timeout != null ? timeout : timeoutOf(targets))
            .retryPolicy(RouteCompiler.retryPolicy(d, at, warnings::add))
            .requestHeaders(d.requestHeaders().toModifier(at.field("RequestHeaders")))
            .pathRewrite(RouteCompiler.pathRewrite(r.match(), d))
            .origin("consul service-router " + service);
    var match = RouteCompiler.match(r.match(), r.at().field("Match").field("HTTP"));
    if (!match.isAny()) {
      b.match(match);
    }
    return b.build();
  }

  /** Where requests to {@code service} without a subset go: through its splitter, if any. */
  private List<Target> split(String service, Set<String> visiting, int depth, @Nullable Json at) {
    ServiceSplitter splitter = splitters.get(service);
    if (splitter == null || !visiting.add(service)) {
      return List.of(resolve(service, "", null, at, depth, 10000));
    }
    List<Target> out = new ArrayList<>();
    for (int j = 0; j < splitter.splits().size(); j++) {
      ServiceSplitter.Split s = splitter.splits().get(j);
      Json sat = s.at();
      checkPartition(s.partition(), sat.field("Partition"));
      if (!s.requestHeaders().isEmpty() || !s.responseHeaders().isEmpty()) {
        warn(sat, "RequestHeaders/ResponseHeaders per split are not supported; ignored");
      }
      String to = s.service().isEmpty() ? service : s.service();
      if (!s.serviceSubset().isEmpty() || !s.namespace().isEmpty() || to.equals(service)) {
        out.add(resolve(to, s.namespace(), blankToNull(s.serviceSubset()), sat, depth, s.weight()));
      } else {
        for (Target t : split(to, visiting, depth + 1, sat)) {
          out.add(new Target(t.service(), t.subset(), t.weight() * s.weight() / 10000));
        }
      }
    }
    visiting.remove(service);
    return merge(out);
  }

  /** Applies {@code service}'s resolver: redirect, default subset, subset check. */
  private Target resolve(
      String service,
      String ns,
      @Nullable String subset,
      @Nullable Json at,
      int depth,
      long weight) {
    if (depth > MAX_DEPTH) {
      throw ConfigException.of(
          "consul service-resolver " + service,
          "Redirect",
          service,
          "redirects and splits that end within " + MAX_DEPTH + " hops (is there a loop?)");
    }
    ServiceResolver resolver = ns.isEmpty() || ns.equals(namespace) ? resolvers.get(service) : null;
    if (resolver != null && resolver.redirect() != null) {
      ServiceResolver.Redirect r = resolver.redirect();
      for (String[] f :
          new String[][] {
            {"Datacenter", r.datacenter()},
            {"Peer", r.peer()},
            {"Partition", r.partition()},
            {"SamenessGroup", r.samenessGroup()}
          }) {
        if (!f[1].isEmpty()) {
          throw r.at()
              .field(f[0])
              .error("no " + f[0] + " (meshwork routes within the local datacenter and partition)");
        }
      }
      String to = r.service().isEmpty() ? service : r.service();
      return resolve(to, r.namespace(), blankToNull(r.serviceSubset()), r.at(), depth + 1, weight);
    }
    String chosen = subset;
    if (chosen == null && resolver != null && !resolver.defaultSubset().isEmpty()) {
      chosen = resolver.defaultSubset();
    }
    if (chosen != null && (resolver == null || !resolver.subsets().containsKey(chosen))) {
      String where = at == null ? "consul service " + service : at.origin();
      throw ConfigException.of(
          where,
          at == null ? "ServiceSubset" : at.path() + ".ServiceSubset",
          chosen,
          "a subset defined by service-resolver "
              + service
              + ": "
              + (resolver == null ? "[] (there is no resolver)" : resolver.subsetNames()));
    }
    return new Target(name(service, blankToNull(ns)), chosen, weight);
  }

  private static List<Target> merge(List<Target> targets) {
    Map<String, Target> merged = new LinkedHashMap<>();
    for (Target t : targets) {
      merged.merge(
          t.service() + "/" + t.subset(),
          t,
          (a, b) -> new Target(a.service(), a.subset(), a.weight() + b.weight()));
    }
    return new ArrayList<>(merged.values());
  }

  private static List<Backend> backends(List<Target> targets) {
    List<Backend> out = new ArrayList<>();
    for (Target t : targets) {
      out.add(
          Backend.of(t.service(), (int) Math.min(t.weight(), Integer.MAX_VALUE))
              .withSubset(t.subset()));
    }
    return out;
  }

  /** The resolver timeout of the targets' services: the longest, when they differ. */
  private @Nullable Duration timeoutOf(List<Target> targets) {
    Duration max = null;
    for (Target t : targets) {
      ServiceResolver r = resolvers.get(t.service().name());
      Duration d = r == null ? null : positive(r.requestTimeout());
      if (d != null && (max == null || d.compareTo(max) > 0)) {
        max = d;
      }
    }
    return max;
  }

  private void checkPartition(String partition, Json at) {
    if (!partition.isEmpty() && !partition.equals("default")) {
      throw at.error("the local partition (meshwork does not route across admin partitions)");
    }
  }

  private void warn(Json at, String what) {
    warnings.add(at.origin() + ": " + at.path() + " " + what);
  }

  private ServiceName name(String service, @Nullable String ns) {
    try {
      return ServiceName.of(service, ns == null ? namespace : ns);
    } catch (IllegalArgumentException e) {
      throw ConfigException.of("consul service " + service, "Name", service, e.getMessage(), e);
    }
  }

  static @Nullable Duration positive(@Nullable Duration d) {
    return d == null || d.isZero() || d.isNegative() ? null : d;
  }

  private static @Nullable String blankToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}
