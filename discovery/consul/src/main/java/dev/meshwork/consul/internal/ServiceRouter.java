package dev.meshwork.consul.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@code service-router} config entry, validated as Consul validates it: paths start with {@code
 * /}, at most one path matcher, header and query matchers have a name and exactly one operator,
 * methods are HTTP methods without repeats, {@code PrefixRewrite} only with a path match (and,
 * stricter than Consul, only a path starting with {@code /}), known {@code RetryOn} values. Regexes
 * are checked where they are compiled ({@link RouteCompiler}).
 */
public record ServiceRouter(String name, List<RouterRoute> routes) {

  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  static final Set<String> RETRY_ON =
      Set.of(
          "5xx",
          "gateway-error",
          "reset",
          "connect-failure",
          "envoy-ratelimited",
          "retriable-4xx",
          "refused-stream",
          "cancelled",
          "deadline-exceeded",
          "internal",
          "resource-exhausted",
          "unavailable");

  /** One route: what it matches and where it goes; {@code at} is its place in the document. */
  public record RouterRoute(HttpMatch match, Destination destination, Json at) {}

  /** {@code Match.HTTP}; empty strings for absent paths. */
  public record HttpMatch(
      String pathExact,
      String pathPrefix,
      String pathRegex,
      List<ValueMatch> headers,
      List<ValueMatch> queryParams,
      List<String> methods) {}

  /**
   * A header or query parameter test: exactly one of present / exact / prefix / suffix / regex is
   * set (query parameters have no prefix or suffix).
   */
  public record ValueMatch(
      String name,
      boolean present,
      @Nullable String exact,
      @Nullable String prefix,
      @Nullable String suffix,
      @Nullable String regex,
      boolean invert,
      Json at) {}

  /** {@code Destination}; empty strings for absent names, null for absent timeouts. */
  public record Destination(
      String service,
      String serviceSubset,
      String namespace,
      String partition,
      String prefixRewrite,
      @Nullable Duration requestTimeout,
      @Nullable Duration idleTimeout,
      int numRetries,
      boolean retryOnConnectFailure,
      List<Integer> retryOnStatusCodes,
      List<String> retryOn,
      HeaderMods requestHeaders,
      HeaderMods responseHeaders) {}

  public static ServiceRouter parse(String name, Json json) {
    json.requireObject();
    List<RouterRoute> routes = new ArrayList<>();
    for (Json r : json.array("Routes")) {
      r.requireObject();
      Json http = r.field("Match").field("HTTP");
      HttpMatch match = parseMatch(http);
      Destination dest = parseDestination(r.field("Destination"));
      if (!dest.prefixRewrite().isEmpty()
          && match.pathExact().isEmpty()
          && match.pathPrefix().isEmpty()) {
        throw r.field("Destination")
            .field("PrefixRewrite")
            .error("no PrefixRewrite unless Match.HTTP has PathExact or PathPrefix");
      }
      if (!dest.prefixRewrite().isEmpty() && !dest.prefixRewrite().startsWith("/")) {
        // Envoy would send a request line without a leading slash; no server accepts that.
        throw r.field("Destination").field("PrefixRewrite").error("a path starting with /");
      }
      routes.add(new RouterRoute(match, dest, r));
    }
    return new ServiceRouter(name, List.copyOf(routes));
  }

  static HttpMatch parseMatch(Json http) {
    if (!http.isAbsent()) {
      http.requireObject();
    }
    String exact = http.string("PathExact", "");
    String prefix = http.string("PathPrefix", "");
    String regex = http.string("PathRegex", "");
    int paths = (exact.isEmpty() ? 0 : 1) + (prefix.isEmpty() ? 0 : 1) + (regex.isEmpty() ? 0 : 1);
    if (paths > 1) {
      throw http.error("at most one of PathExact, PathPrefix and PathRegex");
    }
    if (!exact.isEmpty() && !exact.startsWith("/")) {
      throw http.field("PathExact").error("a path starting with /");
    }
    if (!prefix.isEmpty() && !prefix.startsWith("/")) {
      throw http.field("PathPrefix").error("a path starting with /");
    }
    List<ValueMatch> headers = new ArrayList<>();
    for (Json h : http.array("Header")) {
      headers.add(parseValueMatch(h, true));
    }
    List<ValueMatch> query = new ArrayList<>();
    for (Json q : http.array("QueryParam")) {
      query.add(parseValueMatch(q, false));
    }
    Set<String> methods = new LinkedHashSet<>();
    for (Json m : http.array("Methods")) {
      String upper = m.text().toUpperCase(Locale.ROOT);
      if (!METHODS.contains(upper)) {
        throw m.error("an HTTP method, one of " + new java.util.TreeSet<>(METHODS));
      }
      if (!methods.add(upper)) {
        throw m.error("each method once");
      }
    }
    return new HttpMatch(
        exact, prefix, regex, List.copyOf(headers), List.copyOf(query), List.copyOf(methods));
  }

  private static ValueMatch parseValueMatch(Json m, boolean header) {
    m.requireObject();
    String name = m.string("Name", "");
    if (name.isEmpty()) {
      throw m.field("Name").error("a " + (header ? "header" : "query parameter") + " name");
    }
    boolean present = m.bool("Present", false);
    String exact = m.field("Exact").isAbsent() ? null : m.string("Exact", "");
    String prefix = header && !m.field("Prefix").isAbsent() ? m.string("Prefix", "") : null;
    String suffix = header && !m.field("Suffix").isAbsent() ? m.string("Suffix", "") : null;
    String regex = m.field("Regex").isAbsent() ? null : m.string("Regex", "");
    int ops =
        (present ? 1 : 0)
            + (exact != null ? 1 : 0)
            + (prefix != null ? 1 : 0)
            + (suffix != null ? 1 : 0)
            + (regex != null ? 1 : 0);
    if (ops != 1) {
      throw m.error(
          header
              ? "exactly one of Present, Exact, Prefix, Suffix and Regex"
              : "exactly one of Present, Exact and Regex");
    }
    boolean invert = header && m.bool("Invert", false);
    return new ValueMatch(name, present, exact, prefix, suffix, regex, invert, m);
  }

  private static Destination parseDestination(Json d) {
    if (!d.isAbsent()) {
      d.requireObject();
    }
    List<Integer> codes = new ArrayList<>();
    for (Json c : d.array("RetryOnStatusCodes")) {
      codes.add((int) c.integerValue(100, 599));
    }
    List<String> retryOn = new ArrayList<>();
    for (Json r : d.array("RetryOn")) {
      if (!RETRY_ON.contains(r.text())) {
        throw r.error("one of " + new java.util.TreeSet<>(RETRY_ON));
      }
      retryOn.add(r.text());
    }
    return new Destination(
        d.string("Service", ""),
        d.string("ServiceSubset", ""),
        d.string("Namespace", ""),
        d.string("Partition", ""),
        d.string("PrefixRewrite", ""),
        d.duration("RequestTimeout", null),
        d.duration("IdleTimeout", null),
        (int) Math.min(d.integer("NumRetries", 0, 0, 0xFFFF_FFFFL), Integer.MAX_VALUE),
        d.bool("RetryOnConnectFailure", false),
        List.copyOf(codes),
        List.copyOf(retryOn),
        HeaderMods.parse(d.field("RequestHeaders")),
        HeaderMods.parse(d.field("ResponseHeaders")));
  }
}
