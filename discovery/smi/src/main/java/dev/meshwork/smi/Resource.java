package dev.meshwork.smi;

import dev.meshwork.Backend;
import dev.meshwork.IdentityMatch;
import dev.meshwork.RequestMatch;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import java.util.List;
import java.util.Map;

/**
 * One parsed and validated SMI or Gateway API resource, in the shape the compiler needs. Each keeps
 * its id and origin (file and resource, or the Kubernetes resource) for messages and inspection.
 * Values are immutable.
 */
sealed interface Resource {

  Id id();

  /** Where the resource was read, e.g. {@code split.yaml: TrafficSplit default/reviews}. */
  String origin();

  /** Kind, namespace and name: what identifies a resource across versions and updates. */
  record Id(String kind, String namespace, String name) implements Comparable<Id> {
    @Override
    public int compareTo(Id o) {
      int c = kind.compareTo(o.kind);
      c = c != 0 ? c : namespace.compareTo(o.namespace);
      return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
      return kind + " " + namespace + "/" + name;
    }
  }

  /**
   * A TrafficSplit: requests to {@code apex} (those matching one of the HTTPRouteGroups named in
   * {@code routeGroups}, or all when there are none) are split across {@code backends}.
   */
  record TrafficSplit(
      Id id, String origin, ServiceName apex, List<Backend> backends, List<String> routeGroups)
      implements Resource {}

  /** An HTTPRouteGroup: named request matches, in document order. */
  record HttpRouteGroup(Id id, String origin, Map<String, RequestMatch> matches)
      implements Resource {}

  /** A TCPRoute or UDPRoute; the mesh sees requests, not ports, so it only needs to exist. */
  record L4Route(Id id, String origin, List<Integer> ports) implements Resource {}

  /**
   * A TrafficTarget: {@code sources} may send the requests its rules name to {@code destination}.
   */
  record TrafficTarget(
      Id id, String origin, Subject destination, List<Subject> sources, List<Rule> rules)
      implements Resource {}

  /** A ServiceAccount or an IdentityBinding named by a TrafficTarget. */
  record Subject(String kind, String namespace, String name, String field) {}

  /** A TrafficTarget rule: a route (group) and the names of its matches; empty for all. */
  record Rule(String kind, String name, List<String> matches, String field) {}

  /** An IdentityBinding (draft v1alpha4): the identities it stands for. */
  record IdentityBinding(Id id, String origin, List<IdentityMatch> identities)
      implements Resource {}

  /**
   * A Gateway API HTTPRoute or GRPCRoute attached to Services (GAMMA): one entry per parent
   * Service, rule and match, each already a core {@link Route}. Routes attached to Gateways only
   * have no entries: they are not the mesh's.
   */
  record MeshRoute(Id id, String origin, String created, List<Entry> entries) implements Resource {}

  /**
   * One match of a Gateway API route rule, with what orders it against the matches of other routes
   * on the same Service (Gateway API's precedence: exact path, then regex, then longest prefix,
   * then method, header count, query parameter count).
   */
  record Entry(
      ServiceName parent,
      Route route,
      int pathRank,
      int pathLength,
      boolean method,
      int headers,
      int queries,
      int index) {}
}
