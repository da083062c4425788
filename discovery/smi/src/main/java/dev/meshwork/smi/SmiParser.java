package dev.meshwork.smi;

import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.RequestMatch;
import dev.meshwork.ServiceName;
import java.lang.System.Logger.Level;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads SMI TrafficSplit (v1alpha1–v1alpha4) and HTTPRouteGroup (v1alpha1–v1alpha4) documents into
 * {@link Resource}s, checking every field the compiler relies on. Accepts the shapes real clusters
 * and docs use: weights as integers, decimals or quantities in any version; headers as a map or a
 * list of single-key maps; a route group's {@code matches} at the top level or under {@code spec}
 * (with a warning when it is in the other version's place). Stateless.
 */
final class SmiParser {

  private static final System.Logger LOG = System.getLogger(SmiParser.class.getName());
  private static final Set<String> METHODS =
      Set.of("*", "GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private SmiParser() {}

  static Resource.TrafficSplit trafficSplit(Resource.Id id, String origin, Node doc) {
    Node spec = doc.get("spec");
    if (!spec.isMap()) {
      throw spec.error("a mapping with service and backends");
    }
    ServiceName apex = service(spec.get("service"), id.namespace());
    List<Node> items = spec.get("backends").items();
    if (items.isEmpty()) {
      throw spec.get("backends").error("at least one backend");
    }
    List<ServiceName> services = new ArrayList<>();
    List<BigDecimal> weights = new ArrayList<>();
    Set<ServiceName> seen = new HashSet<>();
    for (Node b : items) {
      ServiceName s = service(b.get("service"), id.namespace());
      if (!seen.add(s)) {
        throw b.get("service").error("each backend service at most once");
      }
      services.add(s);
      weights.add(Weights.read(b.get("weight")));
    }
    if (weights.stream().allMatch(w -> w.signum() == 0)) {
      throw ConfigException.of(
          origin, spec.get("backends").path() + "[*].weight", "0", "at least one positive weight");
    }
    List<Integer> normalized = Weights.normalize(weights);
    List<Backend> backends = new ArrayList<>();
    for (int i = 0; i < services.size(); i++) {
      backends.add(Backend.of(services.get(i), normalized.get(i)));
    }
    List<String> groups = new ArrayList<>();
    for (Node m : spec.get("matches").items()) {
      String kind = m.get("kind").text("HTTPRouteGroup");
      if (!kind.equals("HTTPRouteGroup")) {
        throw m.get("kind").error("HTTPRouteGroup");
      }
      groups.add(m.get("name").text("the name of an HTTPRouteGroup"));
    }
    return new Resource.TrafficSplit(id, origin, apex, List.copyOf(backends), List.copyOf(groups));
  }

  static Resource.HttpRouteGroup httpRouteGroup(
      Resource.Id id, String origin, String version, Node doc) {
    boolean nested = version.equals("v1alpha3") || version.equals("v1alpha4");
    Node underSpec = doc.get("spec").get("matches");
    Node topLevel = doc.get("matches");
    Node matches = nested ? underSpec : topLevel;
    if (matches.isMissing() && !(nested ? topLevel : underSpec).isMissing()) {
      matches = nested ? topLevel : underSpec;
      LOG.log(
          Level.WARNING,
          "{0}: matches found at {1}, where {2} does not put them (expected at {3}); read anyway",
          origin,
          matches.path(),
          version,
          nested ? "spec.matches" : "matches");
    }
    Map<String, RequestMatch> out = new LinkedHashMap<>();
    for (Node m : matches.items()) {
      if (!m.isMap()) {
        throw m.error("a match with name, pathRegex, methods and headers");
      }
      String name = m.get("name").text("a match name");
      if (out.put(name, requestMatch(m)) != null) {
        throw m.get("name").error("match names unique within the group");
      }
    }
    return new Resource.HttpRouteGroup(id, origin, java.util.Collections.unmodifiableMap(out));
  }

  private static RequestMatch requestMatch(Node m) {
    RequestMatch.Builder b = RequestMatch.builder();
    String path = m.get("pathRegex").optText("a regular expression");
    if (path != null) {
      b.path(Regexes.anchoredAtStart(m.get("pathRegex"), path));
    }
    for (Node method : m.get("methods").items()) {
      String text = method.text("an HTTP method");
      if (!METHODS.contains(text)) {
        throw method.error("one of " + new java.util.TreeSet<>(METHODS));
      }
      b.methods(text);
    }
    Node headers = m.get("headers");
    if (headers.isMap()) {
      headers.fields().forEach((name, value) -> header(b, name, value));
    } else if (headers.isList()) {
      for (Node item : headers.items()) {
        Map<String, Node> fields = item.fields();
        if (fields.size() != 1) {
          throw item.error("exactly one header name and regex per list item");
        }
        fields.forEach((name, value) -> header(b, name, value));
      }
    } else if (!headers.isMissing()) {
      throw headers.error("a mapping of header names to regexes, or a list of one-entry mappings");
    }
    return b.build();
  }

  private static void header(RequestMatch.Builder b, String name, Node value) {
    if (name.isBlank()) {
      throw value.error("a header name");
    }
    b.header(name.trim(), Regexes.full(value, value.text("a regular expression")));
  }

  /** A service name in {@code namespace} unless it names its own, FQDN allowed. */
  static ServiceName service(Node node, String namespace) {
    String text = node.text("a service name");
    try {
      return ServiceName.parse(text, namespace);
    } catch (IllegalArgumentException e) {
      throw node.error("a service name such as reviews or reviews.default.svc.cluster.local", e);
    }
  }
}
