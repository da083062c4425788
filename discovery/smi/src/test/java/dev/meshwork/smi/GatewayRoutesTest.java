package dev.meshwork.smi;

import static dev.meshwork.smi.Fixtures.compile;
import static dev.meshwork.smi.Fixtures.routes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshRequest;
import dev.meshwork.PathRewrite;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gateway API HTTPRoute and GRPCRoute attached to Services (GAMMA). */
class GatewayRoutesTest {

  private final ResourceParser parser = new ResourceParser("default");

  /** The backend names of the first route that takes {@code request}, or the default. */
  private static String routeFor(List<Route> routes, MeshRequest request) {
    for (Route r : routes) {
      if (r.matches(request)) {
        return r.backends().stream().map(b -> b.service().name()).toList().toString();
      }
    }
    return "default";
  }

  @Test
  void httpRouteMatchesAreOrderedByGatewayApiPrecedence() {
    List<Route> routes = routes(compile("authored/httproute-reviews.yaml"), "reviews");
    assertThat(routes)
        .extracting(Route::name)
        .containsExactly("reviews.rules[1]", "reviews.rules[0]", "reviews.rules[2]");
    assertThat(routes.get(2).matchesEverything()).isTrue();
    assertThat(routes)
        .allMatch(r -> r.origin().equals("httproute-reviews.yaml: HTTPRoute default/reviews"));
  }

  @Test
  void httpRouteMatchesPathHeadersQueryAndMethod() {
    List<Route> routes = routes(compile("authored/httproute-reviews.yaml"), "reviews");
    TestRequest canary =
        TestRequest.get("/api/books").header("x-canary", "true").query("user", "42");
    assertThat(routeFor(routes, canary)).isEqualTo("[reviews-v2]");
    assertThat(routeFor(routes, canary.query("user", "bob"))).isEqualTo("[reviews-v1, reviews-v2]");
    assertThat(
            routeFor(
                routes, new TestRequest("POST", "/api/books", canary.headers(), canary.query())))
        .isEqualTo("[reviews-v1, reviews-v2]");
    assertThat(routeFor(routes, TestRequest.get("/healthz"))).isEqualTo("[reviews-v1]");
    assertThat(routeFor(routes, TestRequest.get("/healthz/deep")))
        .isEqualTo("[reviews-v1, reviews-v2]");
  }

  @Test
  void pathPrefixesMatchWholeSegments() {
    Route api = routes(compile("authored/httproute-reviews.yaml"), "reviews").get(1);
    TestRequest base = TestRequest.get("/").header("x-canary", "true").query("user", "1");
    for (String path : List.of("/api", "/api/", "/api/books")) {
      assertThat(api.matches(new TestRequest("GET", path, base.headers(), base.query())))
          .as(path)
          .isTrue();
    }
    assertThat(api.matches(new TestRequest("GET", "/apis", base.headers(), base.query())))
        .isFalse();
  }

  @Test
  void filtersTimeoutsAndWeightsCarryOver() {
    List<Route> routes = routes(compile("authored/httproute-reviews.yaml"), "reviews");
    Route canary = routes.get(1);
    assertThat(canary.timeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(canary.requestHeaders().set()).isEqualTo(Map.of("x-route", "canary"));
    assertThat(canary.requestHeaders().add()).containsExactly(Map.entry("x-trace", "1"));
    assertThat(canary.requestHeaders().remove()).containsExactly("x-debug");
    Route split = routes.get(2);
    assertThat(split.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(split.backends()).extracting(Backend::weight).containsExactly(90, 10);
  }

  @Test
  void grpcMethodsBecomePathsAndExactMethodsComeFirst() {
    List<Route> routes = routes(compile("authored/grpcroute-ratings.yaml"), "ratings");
    assertThat(routeFor(routes, TestRequest.of("POST", "/ratings.v1.Ratings/Get")))
        .isEqualTo("[ratings-v2]");
    assertThat(
            routeFor(
                routes,
                TestRequest.of("POST", "/ratings.v1.Ratings/Put").header("x-tenant", "acme")))
        .isEqualTo("[ratings-v1]");
    assertThat(routeFor(routes, TestRequest.of("POST", "/ratings.v1.Ratings/Put")))
        .isEqualTo("default");
    assertThat(routeFor(routes, TestRequest.of("POST", "/other.Svc/ListAll")))
        .isEqualTo("[ratings-v3]");
  }

  @Test
  void routesAttachedOnlyToGatewaysAreNotTheMeshs() {
    String yaml =
        Fixtures.read("authored/httproute-reviews.yaml")
            .replace("  - group: \"\"\n    kind: Service\n    name: reviews\n    port: 9080\n", "");
    MeshConfig config = MeshConfig.builder().build();
    Compiler.Result r = new Compiler().compile(parser.parseAll("r.yaml", yaml));
    assertThat(r.config()).isEqualTo(config);
  }

  @Test
  void aRuleWithoutBackendRefsGoesToTheParentService() {
    String yaml =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: web}
        spec:
          parentRefs: [{kind: Service, name: web}]
          rules:
          - timeouts: {request: 2s}
        """;
    Route route =
        new Compiler()
            .compile(parser.parseAll("r.yaml", yaml))
            .config()
            .service(ServiceName.of("web"))
            .routes()
            .get(0);
    assertThat(route.backends()).containsExactly(Backend.of("web", 1));
    assertThat(route.timeout()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aFaultAnnotationInjectsFaultsIntoEveryRuleOfTheRoute() {
    String yaml =
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata:
          name: web
          annotations: {meshwork.dev/fault: "abort=503;percentage=10"}
        spec:
          parentRefs: [{kind: Service, name: web}]
          rules:
          - matches: [{path: {type: PathPrefix, value: /api}}]
          - backendRefs: [{name: web-v2}]
        """;
    List<Route> routes =
        new Compiler()
            .compile(parser.parseAll("r.yaml", yaml))
            .config()
            .service(ServiceName.of("web"))
            .routes();
    assertThat(routes).hasSize(2);
    assertThat(routes)
        .allSatisfy(
            r -> {
              assertThat(r.fault()).isNotNull();
              assertThat(r.fault().abortHttpStatus()).isEqualTo(503);
              assertThat(r.fault().abortPercent()).isEqualTo(10);
            });
    assertThatThrownBy(() -> parser.parseAll("r.yaml", yaml.replace("abort=503", "abort=5O3")))
        .hasMessageStartingWith(
            "r.yaml: HTTPRoute default/web: metadata.annotations.meshwork.dev/fault:"
                + " \"abort=5O3;percentage=10\" (expected a fault such as");
  }

  @Test
  void unsupportedFiltersAndBadDurationsAreConfigErrors() {
    String base = Fixtures.read("authored/httproute-reviews.yaml");
    assertThatThrownBy(
            () ->
                parser.parseAll(
                    "r.yaml", base.replace("type: RequestHeaderModifier", "type: RequestMirror")))
        .hasMessage(
            "r.yaml: HTTPRoute default/reviews: spec.rules[0].filters[0].type: \"RequestMirror\""
                + " (expected RequestHeaderModifier or URLRewrite (the filters the mesh applies))");
    assertThatThrownBy(
            () -> parser.parseAll("r.yaml", base.replace("request: 10s", "request: 10 seconds")))
        .hasMessage(
            "r.yaml: HTTPRoute default/reviews: spec.rules[2].timeouts.request: \"10 seconds\""
                + " (expected a duration such as 10s, 500ms or 1m30s)");
    assertThatThrownBy(
            () -> parser.parseAll("r.yaml", base.replace("value: \"[0-9]+\"", "value: \"[0-9\"")))
        .hasMessageContaining("spec.rules[0].matches[0].queryParams[0].value: \"[0-9\"");
  }

  private static Route named(String name) {
    return routes(compile("authored/httproute-rewrite.yaml"), "books").stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void replacePrefixMatchReplacesThePrefixEachMatchOfTheRuleMatched() {
    Route api = named("v1-to-v2.matches[0]");
    Route legacy = named("v1-to-v2.matches[1]");

    assertThat(api.pathRewrite()).isEqualTo(PathRewrite.replacePrefix("/api/v1", "/api/v2"));
    assertThat(api.pathRewrite().apply("/api/v1/books/7")).isEqualTo("/api/v2/books/7");
    assertThat(api.pathRewrite().apply("/api/v1")).isEqualTo("/api/v2");
    assertThat(legacy.pathRewrite()).isEqualTo(PathRewrite.replacePrefix("/legacy/", "/api/v2"));
    assertThat(legacy.pathRewrite().apply("/legacy/books")).isEqualTo("/api/v2/books");
    // The other filter of the rule still applies.
    assertThat(api.requestHeaders().set()).isEqualTo(Map.of("x-rewritten", "true"));
  }

  @Test
  void replaceFullPathReplacesTheWholePathAndARuleWithoutMatchesRewritesFromTheRoot() {
    Route health = named("health");
    Route rest = named("everything-else");

    assertThat(health.pathRewrite()).isEqualTo(PathRewrite.replaceFull("/internal/status"));
    assertThat(health.pathRewrite().apply("/healthz")).isEqualTo("/internal/status");
    assertThat(rest.pathRewrite()).isEqualTo(PathRewrite.replacePrefix("/", "/books"));
    assertThat(rest.pathRewrite().apply("/7/reviews")).isEqualTo("/books/7/reviews");
  }

  @Test
  void aHostnameRewriteIsRejectedNamingTheField() {
    String yaml =
        Fixtures.read("authored/httproute-rewrite.yaml")
            .replace(
                "path: {type: ReplaceFullPath, replaceFullPath: /internal/status}",
                "hostname: status.internal");

    assertThatThrownBy(() -> parser.parseAll("r.yaml", yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "r.yaml: HTTPRoute default/books: spec.rules[1].filters[0].urlRewrite.hostname:"
                + " \"status.internal\" (expected no hostname rewrite (the mesh sends to the"
                + " backend Service; only path rewrites are applied))");
  }

  @Test
  void replacePrefixMatchOnAnExactMatchAndRelativePathsAreRejected() {
    String base = Fixtures.read("authored/httproute-rewrite.yaml");

    assertThatThrownBy(
            () ->
                parser.parseAll(
                    "r.yaml",
                    base.replace(
                        "path: {type: ReplaceFullPath, replaceFullPath: /internal/status}",
                        "path: {type: ReplacePrefixMatch, replacePrefixMatch: /internal}")))
        .hasMessage(
            "r.yaml: HTTPRoute default/books: spec.rules[1].filters[0].urlRewrite.path.type:"
                + " \"ReplacePrefixMatch\" (expected ReplaceFullPath (ReplacePrefixMatch needs"
                + " every match of the rule to be a PathPrefix match))");
    assertThatThrownBy(
            () ->
                parser.parseAll(
                    "r.yaml",
                    base.replace("replacePrefixMatch: /books", "replacePrefixMatch: books")))
        .hasMessage(
            "r.yaml: HTTPRoute default/books: spec.rules[2].filters[0].urlRewrite.path"
                + ".replacePrefixMatch: \"books\" (expected a path starting with /)");
  }
}
