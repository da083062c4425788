package dev.meshwork.smi;

import static dev.meshwork.smi.Fixtures.compile;
import static dev.meshwork.smi.Fixtures.parse;
import static dev.meshwork.smi.Fixtures.routes;
import static dev.meshwork.smi.Fixtures.shares;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meshwork.AccessPolicy;
import dev.meshwork.AccessRule;
import dev.meshwork.Endpoint;
import dev.meshwork.IdentityMatch;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshRequest;
import dev.meshwork.RequestMatch;
import dev.meshwork.Route;
import dev.meshwork.SpiffeId;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.SeededRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every file in the SMI spec fixtures gives the outcome its comment states. */
class SpecFixturesTest {

  @Test
  void v1alpha1QuantityWeightsSplitInProportionToTheirValues() {
    Route route = routes(compile("spec/trafficsplit-v1alpha1-my-weights.yaml"), "numbers").get(0);
    Map<String, Double> shares = shares(route);
    assertThat(shares.get("one")).isCloseTo(10 / 1610.0, within(1e-9));
    assertThat(shares.get("two")).isCloseTo(100 / 1610.0, within(1e-9));
    assertThat(shares.get("three")).isCloseTo(1500 / 1610.0, within(1e-9));
  }

  @Test
  void v1alpha1OneAndFiveHundredMilliSendAThirdToTheCanary() {
    Route route =
        routes(compile("spec/trafficsplit-v1alpha1-foobar-rollout.yaml"), "foobar").get(0);
    assertThat(shares(route).get("foobar-v1")).isCloseTo(2 / 3.0, within(1e-9));
    assertThat(shares(route).get("foobar-v2")).isCloseTo(1 / 3.0, within(1e-9));
    // 1 is 1000m: the quantities are read as values, not as their digits (smi-sdk-go's bug).
    assertThat(route.backends().get(0).weight()).isEqualTo(2 * route.backends().get(1).weight());
  }

  @Test
  void v1alpha2ThousandAndFiveHundredSendAThirdToTheCanary() {
    Route route =
        routes(compile("spec/trafficsplit-v1alpha2-foobar-rollout.yaml"), "foobar").get(0);
    assertThat(shares(route).get("foobar-v2")).isCloseTo(1 / 3.0, within(1e-9));
  }

  @Test
  void v1alpha2FiftyFiftySplitsEvenly() {
    Route route =
        routes(compile("spec/trafficsplit-v1alpha2-my-trafficsplit.yaml"), "my-website").get(0);
    assertThat(shares(route))
        .containsEntry("my-website-v1", 0.5)
        .containsEntry("my-website-v2", 0.5);
  }

  @Test
  void v1alpha4CanarySendsNinetyTen() {
    MeshConfig config = compile("spec/trafficsplit-v1alpha4-canary.yaml");
    List<Route> routes = routes(config, "website");
    assertThat(routes).hasSize(1);
    assertThat(routes.get(0).matches()).isEmpty();
    assertThat(routes.get(0).origin())
        .isEqualTo("trafficsplit-v1alpha4-canary.yaml: TrafficSplit default/canary");
    assertThat(shares(routes.get(0)))
        .containsEntry("website-v1", 0.9)
        .containsEntry("website-v2", 0.1);
  }

  @Test
  void abTestSendsFirefoxToV2AndEveryoneElseToTheRootService() throws Exception {
    MeshConfig config = compile("spec/trafficsplit-v1alpha4-ab-test.yaml");
    InMemorySource source = new InMemorySource();
    try (Mesh mesh = Mesh.builder().source(source).random(new SeededRandom(7)).build()) {
      source.config(config);
      source.endpoints("website", Endpoint.of("10.0.0.1", 80));
      source.endpoints("website-v1", Endpoint.of("10.0.0.2", 80));
      source.endpoints("website-v2", Endpoint.of("10.0.0.3", 80));
      for (int i = 0; i < 200; i++) {
        assertThat(
                backend(mesh, TestRequest.get("/").header("User-Agent", "Mozilla/5.0 Firefox/120")))
            .isEqualTo("website-v2.default");
        assertThat(
                backend(mesh, TestRequest.get("/").header("User-Agent", "Mozilla/5.0 Chrome/120")))
            .isEqualTo("website.default");
        assertThat(backend(mesh, TestRequest.get("/"))).isEqualTo("website.default");
      }
    }
  }

  private static String backend(Mesh mesh, MeshRequest request) {
    MeshCall call = mesh.newCall("website", request);
    String name = call.backend().name();
    call.cancel();
    return name;
  }

  @Test
  void httpRouteGroupV1alpha1MatchesAreTopLevelAndPathsAnchoredAtTheStart() {
    Resource.HttpRouteGroup g = group("spec/httproutegroup-v1alpha1.yaml");
    assertThat(g.matches()).containsOnlyKeys("metrics", "health");
    RequestMatch metrics = g.matches().get("metrics");
    assertThat(metrics.matches(TestRequest.get("/metrics"))).isTrue();
    assertThat(metrics.matches(TestRequest.get("/metrics/jvm"))).isTrue();
    assertThat(metrics.matches(TestRequest.get("/app/metrics"))).isFalse();
    assertThat(metrics.matches(TestRequest.of("POST", "/metrics"))).isFalse();
    RequestMatch health = g.matches().get("health");
    assertThat(health.matches(TestRequest.of("DELETE", "/ping"))).isTrue();
    assertThat(health.matches(TestRequest.get("/pong"))).isFalse();
  }

  @Test
  void httpRouteGroupV1alpha4NestsMatchesUnderSpec() {
    assertThat(group("spec/httproutegroup-v1alpha4.yaml").matches())
        .isEqualTo(group("spec/httproutegroup-v1alpha1.yaml").matches());
  }

  @Test
  void httpRouteGroupV1alpha2HeaderMapIsAndWithinAMatchAndOrAcrossMatches() {
    Resource.HttpRouteGroup g = group("spec/httproutegroup-v1alpha2-headers.yaml");
    RequestMatch android = g.matches().get("android-insiders");
    MeshRequest androidInsider =
        TestRequest.get("/")
            .header("user-agent", "Android 14")
            .header("cookie", "a=b;type=insider");
    assertThat(android.matches(androidInsider)).isTrue();
    assertThat(android.matches(TestRequest.get("/").header("user-agent", "Android 14"))).isFalse();
    assertThat(
            g.matches()
                .get("firefox-users")
                .matches(TestRequest.get("/").header("user-agent", "Firefox")))
        .isTrue();
  }

  @Test
  void httpRouteGroupV1alpha4PathMethodsAndHeaderMustAllMatch() {
    RequestMatch iphone =
        group("spec/httproutegroup-v1alpha4-iphone.yaml").matches().get("iphone-users");
    assertThat(iphone.matches(TestRequest.get("/api/books").header("user-agent", "iPhone OS")))
        .isTrue();
    assertThat(iphone.matches(TestRequest.of("HEAD", "/api/x").header("user-agent", "iPhone")))
        .isTrue();
    assertThat(iphone.matches(TestRequest.of("POST", "/api/x").header("user-agent", "iPhone")))
        .isFalse();
    assertThat(iphone.matches(TestRequest.get("/api/x").header("user-agent", "Android"))).isFalse();
    assertThat(iphone.matches(TestRequest.get("/web").header("user-agent", "iPhone"))).isFalse();
  }

  @Test
  void tcpAndUdpRoutesKeepTheirPorts() {
    assertThat(((Resource.L4Route) parse("spec/tcproute-v1alpha4.yaml").get(0)).ports())
        .containsExactly(3306, 6446);
    assertThat(((Resource.L4Route) parse("spec/udproute-v1alpha4.yaml").get(0)).ports())
        .containsExactly(989, 990);
  }

  @Test
  void identityBindingStandsForItsServiceAccountAndSpiffeIds() {
    Resource.IdentityBinding b =
        (Resource.IdentityBinding) parse("spec/identitybinding-v1alpha4.yaml").get(0);
    assertThat(b.identities())
        .containsExactly(
            IdentityMatch.serviceAccount("default", "service-a"),
            IdentityMatch.exactly(SpiffeId.parse("spiffe://cluster.local/ns/default/sa/service-a")),
            IdentityMatch.exactly(
                SpiffeId.parse(
                    "spiffe://federated.trustdomain/boundary/boundaryName/identifierType/identifier")));
  }

  @Test
  void trafficMetricsIsNotConfigurationAndIsSkipped() {
    assertThat(parse("spec/trafficmetrics-v1alpha1-trafficsplit.yaml")).isEmpty();
  }

  @Test
  void trafficTargetV1alpha1AndV1alpha2AllowPrometheusToGetMetricsOnly() {
    for (String version : List.of("v1alpha1", "v1alpha2")) {
      AccessPolicy policy =
          policy("spec/traffictarget-" + version + ".yaml", "spec/httproutegroup-v1alpha1.yaml");
      SpiffeId a = sa("service-a");
      assertThat(policy.evaluate(a, sa("prometheus"), TestRequest.get("/metrics")).allowed())
          .isTrue();
      assertThat(policy.evaluate(a, sa("prometheus"), TestRequest.get("/ping")).allowed())
          .isFalse();
      assertThat(policy.evaluate(a, sa("prometheus"), TestRequest.of("POST", "/metrics")).allowed())
          .isFalse();
      assertThat(policy.evaluate(a, sa("intruder"), TestRequest.get("/metrics")).allowed())
          .isFalse();
    }
  }

  @Test
  void trafficTargetV1alpha3L7AllowsExactlyTheSpecTable() {
    AccessPolicy policy = policy("spec/traffictarget-v1alpha3-l7.yaml");
    SpiffeId api = sa("api-service");
    for (String source : List.of("website-service", "payments-service")) {
      assertThat(policy.evaluate(api, sa(source), TestRequest.of("PUT", "/api")).allowed())
          .isTrue();
      assertThat(policy.evaluate(api, sa(source), TestRequest.get("/metrics")).allowed()).isFalse();
    }
    assertThat(policy.evaluate(api, sa("prometheus"), TestRequest.get("/metrics")).allowed())
        .isTrue();
    assertThat(policy.evaluate(api, sa("prometheus"), TestRequest.of("POST", "/metrics")).allowed())
        .isFalse();
    assertThat(policy.evaluate(api, sa("prometheus"), TestRequest.get("/api")).allowed()).isFalse();
    assertThat(policy.evaluate(api, sa("other"), TestRequest.get("/api")).allowed()).isFalse();
  }

  @Test
  void trafficTargetV1alpha3L4AllowsTheClientAnyRequestAndNobodyElse() {
    AccessPolicy policy = policy("spec/traffictarget-v1alpha3-l4.yaml");
    SpiffeId server = sa("server");
    assertThat(policy.evaluate(server, sa("client"), TestRequest.of("POST", "/any")).allowed())
        .isTrue();
    assertThat(policy.evaluate(server, sa("other"), TestRequest.get("/")).allowed()).isFalse();
    assertThat(policy.evaluate(sa("unrelated"), sa("other"), TestRequest.get("/")).allowed())
        .isTrue();
  }

  private static AccessPolicy policy(String... files) {
    return AccessPolicy.of(compile(files).accessRules(), AccessRule.Action.ALLOW);
  }

  private static SpiffeId sa(String name) {
    return SpiffeId.kubernetes("cluster.local", "default", name);
  }

  private static Resource.HttpRouteGroup group(String path) {
    return (Resource.HttpRouteGroup) parse(path).get(0);
  }
}
