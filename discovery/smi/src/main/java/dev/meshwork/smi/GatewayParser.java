package dev.meshwork.smi;

import dev.meshwork.Backend;
import dev.meshwork.Fault;
import dev.meshwork.RequestMatch;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import dev.meshwork.StringMatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads Gateway API {@code HTTPRoute} and {@code GRPCRoute} documents whose {@code parentRefs} name
 * a Service (the GAMMA mesh pattern) into {@link Resource.MeshRoute}s: one core {@link Route} per
 * parent, rule and match, with the attributes Gateway API orders matches by. gRPC method matches
 * become paths ({@code /pkg.Service/Method}). A rule without backendRefs goes to its parent
 * Service's own endpoints. Filters: see {@link GatewayFilters}. Stateless.
 */
final class GatewayParser {

  private static final Pattern DURATION = Pattern.compile("([0-9]{1,5})(h|ms|m|s)");

  /**
   * Gateway API has no fault-injection filter, so a route's faults come from this annotation, in
   * the syntax of the {@code meshwork-fault} header ({@code abort=503;percentage=10}), and apply to
   * every rule of the route.
   */
  static final String FAULT_ANNOTATION = "meshwork.dev/fault";

  private GatewayParser() {}

  private static @Nullable Fault fault(Node annotation) {
    String spec = annotation.optText("a fault such as abort=503;percentage=10");
    if (spec == null) {
      return null;
    }
    try {
      return Fault.parse(spec);
    } catch (IllegalArgumentException e) {
      throw annotation.error(
          "a fault such as abort=503;percentage=10 or delay=100ms;percentage=5 ("
              + e.getMessage()
              + ")",
          e);
    }
  }

  static Resource.MeshRoute meshRoute(Resource.Id id, String origin, Node doc) {
    boolean grpc = id.kind().equals("GRPCRoute");
    Node spec = doc.get("spec");
    List<ServiceName> parents = new ArrayList<>();
    for (Node p : spec.get("parentRefs").items()) {
      String kind = p.get("kind").optText("a kind");
      Object group = p.get("group").value();
      if ("Service".equals(kind) && (group == null || group.equals("") || group.equals("core"))) {
        parents.add(SmiParser.service(p.get("name"), namespaceOr(p, id.namespace())));
      }
    }
    String created = doc.get("metadata").get("creationTimestamp").optText("a timestamp");
    Fault fault = fault(doc.get("metadata").get("annotations").get(FAULT_ANNOTATION));
    List<Resource.Entry> entries = new ArrayList<>();
    List<Node> rules = spec.get("rules").items();
    for (ServiceName parent : parents) {
      for (int r = 0; r < rules.size(); r++) {
        rule(id, origin, grpc, parent, rules.get(r), r, fault, entries);
      }
    }
    return new Resource.MeshRoute(id, origin, created == null ? "" : created, List.copyOf(entries));
  }

  private static void rule(
      Resource.Id id,
      String origin,
      boolean grpc,
      ServiceName parent,
      Node rule,
      int r,
      @Nullable Fault fault,
      List<Resource.Entry> out) {
    List<Backend> backends = new ArrayList<>();
    for (Node b : rule.get("backendRefs").items()) {
      String kind = b.get("kind").optText("Service");
      if (kind != null && !kind.equals("Service")) {
        throw b.get("kind").error("Service");
      }
      if (!b.get("filters").items().isEmpty()) {
        throw b.get("filters").error("no per-backend filters (put them on the rule)");
      }
      ServiceName service = SmiParser.service(b.get("name"), namespaceOr(b, id.namespace()));
      int weight =
          b.get("weight").isMissing()
              ? 1
              : b.get("weight").integer(0, 1_000_000, "a weight 0..1000000");
      backends.add(Backend.of(service, weight));
    }
    if (backends.isEmpty()) {
      backends.add(Backend.of(parent, 1));
    } else if (backends.stream().allMatch(b -> b.weight() == 0)) {
      throw rule.get("backendRefs").error("at least one backendRef with a positive weight");
    }
    GatewayFilters filters = GatewayFilters.parse(rule.get("filters"), grpc);
    Duration timeout = timeout(rule.get("timeouts").get("request"));
    String ruleName = rule.get("name").optText("a rule name");
    List<Node> matches = rule.get("matches").items();
    int count = Math.max(1, matches.size());
    for (int m = 0; m < count; m++) {
      Node match =
          matches.isEmpty() ? new Node(origin, rule.path() + ".matches", null) : matches.get(m);
      Precedence p = new Precedence();
      RequestMatch requestMatch = grpc ? grpcMatch(match, p) : httpMatch(match, p);
      String name =
          (ruleName != null ? ruleName : id.name() + ".rules[" + r + "]")
              + (matches.size() > 1 ? ".matches[" + m + "]" : "");
      Route route =
          Route.builder()
              .name(name)
              .match(requestMatch)
              .backends(backends)
              .timeout(timeout)
              .requestHeaders(filters.headers())
              .pathRewrite(grpc ? null : filters.pathRewrite(p.pathType, p.pathValue))
              .fault(fault)
              .origin(origin)
              .build();
      out.add(
          new Resource.Entry(
              parent, route, p.rank, p.length, p.method, p.headers, p.queries, out.size()));
    }
  }

  /** What Gateway API orders matches of one Service by; filled in while reading a match. */
  private static final class Precedence {
    int rank = 1;
    int length = 1;
    boolean method;
    int headers;
    int queries;
    String pathType = "PathPrefix";
    String pathValue = "/";
  }

  private static RequestMatch httpMatch(Node match, Precedence p) {
    RequestMatch.Builder b = RequestMatch.builder();
    Node path = match.get("path");
    String type = path.get("type").optText("Exact, PathPrefix or RegularExpression");
    String value = path.get("value").optText("a path");
    type = type == null ? "PathPrefix" : type;
    value = value == null ? "/" : value;
    p.pathType = type;
    p.pathValue = value;
    switch (type) {
      case "Exact":
        checkPath(path.get("value"), value);
        b.path(StringMatch.exact(value));
        p.rank = 3;
        break;
      case "RegularExpression":
        b.path(Regexes.full(path.get("value"), value));
        p.rank = 2;
        break;
      case "PathPrefix":
        checkPath(path.get("value"), value);
        String prefix =
            value.endsWith("/") && value.length() > 1
                ? value.substring(0, value.length() - 1)
                : value;
        if (!prefix.equals("/")) {
          // Gateway API prefixes match whole path segments: /abc takes /abc/def but not /abcd.
          b.path(Regexes.fullBuilt(path.get("value"), Regexes.quote(prefix) + "(/.*)?"));
        }
        break;
      default:
        throw path.get("type").error("Exact, PathPrefix or RegularExpression");
    }
    p.length = value.length();
    String method = match.get("method").optText("an HTTP method");
    if (method != null) {
      try {
        b.methods(method);
      } catch (IllegalArgumentException e) {
        throw match.get("method").error("an HTTP method", e);
      }
      p.method = true;
    }
    p.headers = headers(match.get("headers"), b, false);
    p.queries = headers(match.get("queryParams"), b, true);
    return b.build();
  }

  private static RequestMatch grpcMatch(Node match, Precedence p) {
    RequestMatch.Builder b = RequestMatch.builder();
    Node method = match.get("method");
    if (!method.isMissing()) {
      String type = method.get("type").optText("Exact or RegularExpression");
      String service = method.get("service").optText("a gRPC service");
      String name = method.get("method").optText("a gRPC method");
      if (service == null && name == null) {
        throw method.error("service, method or both");
      }
      if (type == null || type.equals("Exact")) {
        if (service != null && name != null) {
          b.path(StringMatch.exact("/" + service + "/" + name));
          p.rank = 3;
        } else if (service != null) {
          b.path(StringMatch.prefix("/" + service + "/"));
        } else {
          b.path(Regexes.fullBuilt(method, "/[^/]+/" + Regexes.quote(name)));
          p.rank = 2;
        }
      } else if (type.equals("RegularExpression")) {
        String s = service == null ? "[^/]+" : "(?:" + service + ")";
        String m = name == null ? "[^/]+" : "(?:" + name + ")";
        b.path(Regexes.full(method, "/" + s + "/" + m));
        p.rank = 2;
      } else {
        throw method.get("type").error("Exact or RegularExpression");
      }
      p.length = (service == null ? 0 : service.length()) + (name == null ? 0 : name.length());
    }
    p.headers = headers(match.get("headers"), b, false);
    return b.build();
  }

  private static int headers(Node list, RequestMatch.Builder b, boolean query) {
    int count = 0;
    for (Node h : list.items()) {
      String type = h.get("type").optText("Exact or RegularExpression");
      String name = h.get("name").text(query ? "a query parameter name" : "a header name");
      String value = h.get("value").text("a value");
      StringMatch m;
      if (type == null || type.equals("Exact")) {
        m = StringMatch.exact(value);
      } else if (type.equals("RegularExpression")) {
        m = Regexes.full(h.get("value"), value);
      } else {
        throw h.get("type").error("Exact or RegularExpression");
      }
      if (query) {
        b.queryParameter(name, m);
      } else {
        b.header(name, m);
      }
      count++;
    }
    return count;
  }

  /** A Gateway API duration ({@code 1h30m}, {@code 500ms}); zero means no timeout. */
  static @Nullable Duration timeout(Node node) {
    String text = node.optText("a duration such as 10s or 1m30s");
    if (text == null) {
      return null;
    }
    Matcher m = DURATION.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    int parts = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMillis(n);
              });
      end = m.end();
      parts++;
    }
    if (parts == 0 || parts > 4 || end != text.length()) {
      throw node.error("a duration such as 10s, 500ms or 1m30s");
    }
    return total.isZero() ? null : total;
  }

  private static void checkPath(Node node, String value) {
    if (!value.startsWith("/")) {
      throw node.error("a path starting with /");
    }
  }

  private static String namespaceOr(Node ref, String namespace) {
    String ns = ref.get("namespace").optText("a namespace");
    return ns == null ? namespace : ns;
  }
}
