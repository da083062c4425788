package dev.meshwork;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The mesh's configuration at one moment: every known service with its routes, subsets and
 * endpoints, compiled for the request path. Built on the control thread and published through one
 * volatile reference; a call reads it once and uses it throughout, so it never sees half an update.
 *
 * <p>Immutable. Useful for inspection (an actuator endpoint, a debug page, a test):
 *
 * <pre>{@code
 * MeshSnapshot s = mesh.snapshot();
 * for (ServiceName service : s.services()) {
 *   System.out.println(service + " " + s.routes(service) + " " + s.endpoints(service));
 * }
 * }</pre>
 */
public final class MeshSnapshot {

  static final MeshSnapshot EMPTY =
      new MeshSnapshot(0, Map.of(), Map.of(), Map.of(), AccessPolicy.allowAll());

  private final long generation;
  private final Map<ServiceName, ServiceRouting> routings;
  private final Map<String, ServiceRouting> byHost;
  private final Map<ServiceName, EndpointSet> endpoints;
  private final AccessPolicy accessPolicy;

  MeshSnapshot(
      long generation,
      Map<ServiceName, ServiceRouting> routings,
      Map<String, ServiceRouting> byHost,
      Map<ServiceName, EndpointSet> endpoints,
      AccessPolicy accessPolicy) {
    this.generation = generation;
    this.routings = routings;
    this.byHost = byHost;
    this.endpoints = endpoints;
    this.accessPolicy = accessPolicy;
  }

  /** Increases by one with every published snapshot; 0 before the first. */
  public long generation() {
    return generation;
  }

  /** Every service the mesh routes: configured ones, ones with endpoints, and route backends. */
  public Set<ServiceName> services() {
    return routings.keySet();
  }

  public boolean knows(ServiceName service) {
    return routings.containsKey(service);
  }

  /** The service's configuration (an implicit default when no source configures it), or null. */
  public @Nullable ServiceConfig serviceConfig(ServiceName service) {
    ServiceRouting r = routings.get(service);
    return r == null ? null : r.config;
  }

  /** The routes in force for the service, ending with its default route; empty if unknown. */
  public List<Route> routes(ServiceName service) {
    ServiceRouting r = routings.get(service);
    if (r == null) {
      return List.of();
    }
    List<Route> routes = new ArrayList<>(r.routes.length);
    for (CompiledRoute c : r.routes) {
      routes.add(c.route);
    }
    return routes;
  }

  /** The service's endpoints (all of them, whatever their gates say); empty if none. */
  public List<Endpoint> endpoints(ServiceName service) {
    EndpointSet set = endpoints.get(service);
    return set == null ? List.of() : set.endpoints;
  }

  /**
   * Every endpoint a call to {@code host} (as in {@link Mesh#newCall}) may be sent to: the
   * endpoints of every backend of every route of the service, subsets applied, each endpoint once,
   * in route order. Empty when the mesh does not know the host or no backend has endpoints. The
   * gRPC name resolver reports these as a channel's addresses.
   */
  public List<Endpoint> routableEndpoints(String host) {
    ServiceRouting r = routingForHost(host);
    if (r == null) {
      return List.of();
    }
    java.util.Map<String, Endpoint> seen = new java.util.LinkedHashMap<>();
    for (CompiledRoute route : r.routes) {
      for (LinkedBackend b : route.backends) {
        for (EndpointState s : b.endpoints.states) {
          seen.putIfAbsent(s.endpoint().authority(), s.endpoint());
        }
      }
    }
    return List.copyOf(seen.values());
  }

  /** The access rules of every source, for inbound enforcement. */
  public AccessPolicy accessPolicy() {
    return accessPolicy;
  }

  @Nullable ServiceRouting routing(ServiceName service) {
    return routings.get(service);
  }

  /** The routing for a request's host, such as {@code reviews} or {@code reviews.prod.svc}. */
  @Nullable ServiceRouting routingForHost(String host) {
    ServiceRouting r = byHost.get(host);
    if (r == null && hasUpperCase(host)) {
      r = byHost.get(host.toLowerCase(java.util.Locale.ROOT));
    }
    return r;
  }

  private static boolean hasUpperCase(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "MeshSnapshot{generation=" + generation + ", services=" + routings.keySet() + "}";
  }
}
