package dev.meshwork.consul.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.AccessPolicy;
import dev.meshwork.AccessRule;
import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.HeaderModifier;
import dev.meshwork.MeshConfig;
import dev.meshwork.PathRewrite;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import dev.meshwork.StringMatch;
import dev.meshwork.X509Identity;
import dev.meshwork.consul.ConsulAuthorizer;
import java.io.IOException;
import java.io.InputStream;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fixture files in shared/fixtures/consul parse into the expected model. */
class FixturesTest {

  static RawBody fixture(String name) {
    try (InputStream in = FixturesTest.class.getResourceAsStream("/consul/" + name)) {
      return RawBody.of(in.readAllBytes());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Json json(String name) {
    return Json.parse("consul " + name, fixture(name));
  }

  @Test
  void theSplitterFixtureIsNinetyTenOverTwoSubsets() {
    ServiceSplitter s =
        ServiceSplitter.parse("web", json("authored/config-service-splitter-web.json"));

    assertThat(s.splits()).extracting(ServiceSplitter.Split::weight).containsExactly(9000, 1000);
    assertThat(s.splits())
        .extracting(ServiceSplitter.Split::serviceSubset)
        .containsExactly("v1", "v2");
    assertThat(s.splits()).extracting(ServiceSplitter.Split::service).containsExactly("", "");
  }

  @Test
  void theThirdsSplitterSumsToExactlyOneHundred() {
    ServiceSplitter s =
        ServiceSplitter.parse("api", json("authored/config-service-splitter-thirds.json"));

    assertThat(s.splits())
        .extracting(ServiceSplitter.Split::weight)
        .containsExactly(3333, 3333, 3334);
    assertThat(s.splits())
        .extracting(ServiceSplitter.Split::service)
        .containsExactly("api", "api", "api-next");
  }

  @Test
  void theResolverFixtureHasSubsetsADefaultTimeoutsAndFailover() {
    ServiceResolver r =
        ServiceResolver.parse("web", json("authored/config-service-resolver-web.json"));

    assertThat(r.defaultSubset()).isEqualTo("v1");
    assertThat(r.subsets()).containsOnlyKeys("v1", "v2");
    assertThat(r.subsets().get("v1").filter().text()).isEqualTo("Service.Meta.version == v1");
    assertThat(r.subsets().get("v2").onlyPassing()).isTrue();
    assertThat(r.connectTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(r.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(r.failover()).containsOnlyKeys("*");
    assertThat(r.failover().get("*").datacenters()).containsExactly("dc2");
    assertThat(r.loadBalancerPolicy()).isEqualTo("least_request");
    assertThat(r.redirect()).isNull();
  }

  @Test
  void theRouterFixtureHasFourRoutesWithTheirMatchesAndDestinations() {
    ServiceRouter r = ServiceRouter.parse("web", json("authored/config-service-router-web.json"));

    assertThat(r.routes()).hasSize(4);
    ServiceRouter.RouterRoute admin = r.routes().get(0);
    assertThat(admin.match().pathPrefix()).isEqualTo("/admin");
    assertThat(admin.destination().service()).isEqualTo("admin");
    assertThat(admin.destination().prefixRewrite()).isEqualTo("/");
    ServiceRouter.Destination login = r.routes().get(1).destination();
    assertThat(r.routes().get(1).match().methods()).containsExactly("POST");
    assertThat(login.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(login.numRetries()).isEqualTo(3);
    assertThat(login.retryOnConnectFailure()).isTrue();
    assertThat(login.retryOnStatusCodes()).containsExactly(503);
    ServiceRouter.HttpMatch debug = r.routes().get(2).match();
    assertThat(debug.headers())
        .extracting(ServiceRouter.ValueMatch::name)
        .containsExactly("x-debug", "x-canary");
    assertThat(debug.headers().get(1).present()).isTrue();
    assertThat(debug.headers().get(1).invert()).isTrue();
    assertThat(r.routes().get(3).match().pathRegex()).isEqualTo("/api/v[0-9]+/.*");
    assertThat(r.routes().get(3).match().queryParams().get(0).exact()).isEqualTo("true");
  }

  @Test
  void theEntriesTogetherCompileIntoCoreRoutesSplitsAndSubsets() {
    ChainCompiler.Result result =
        new ChainCompiler(
                Map.of(
                    "web",
                    ServiceRouter.parse("web", json("authored/config-service-router-web.json"))),
                Map.of(
                    "web",
                    ServiceSplitter.parse(
                        "web", json("authored/config-service-splitter-web.json"))),
                Map.of(
                    "web",
                    ServiceResolver.parse(
                        "web", json("authored/config-service-resolver-web.json"))),
                "default")
            .compile();
    MeshConfig config = result.config();
    ServiceConfig web = config.service(ServiceName.of("web"));

    assertThat(web.subsets()).containsOnlyKeys("v1", "v2");
    assertThat(web.timeout()).isEqualTo(Duration.ofSeconds(30));
    List<Route> routes = web.routes();
    assertThat(routes).hasSize(5);
    assertThat(routes.get(0).backends()).containsExactly(Backend.of("admin", 10000));
    assertThat(routes.get(0).matches().get(0).path()).isEqualTo(StringMatch.prefix("/admin"));
    assertThat(routes.get(0).origin()).isEqualTo("consul service-router web");
    assertThat(routes.get(1).timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(routes.get(1).retryPolicy().maxAttempts()).isEqualTo(4);
    assertThat(routes.get(1).retryPolicy().retryableHttpStatuses()).containsExactly(503);
    assertThat(routes.get(1).matches().get(0).methods()).containsExactly("POST");
    // A destination naming a subset bypasses the splitter.
    assertThat(routes.get(2).backends()).containsExactly(Backend.of("web", 10000).withSubset("v2"));
    assertThat(routes.get(2).matches().get(0).headers().get(1).match())
        .isEqualTo(StringMatch.present().inverted());
    assertThat(routes.get(3).matches().get(0).path().kind()).isEqualTo(StringMatch.Kind.REGEX);
    assertThat(routes.get(3).matches().get(0).path().matches("/api/v2/users")).isTrue();
    assertThat(routes.get(3).matches().get(0).path().matches("/x/api/v2/users")).isFalse();
    // The default route goes through the splitter.
    assertThat(routes.get(4).backends())
        .containsExactly(
            Backend.of("web", 9000).withSubset("v1"), Backend.of("web", 1000).withSubset("v2"));
    assertThat(routes.get(4).origin()).isEqualTo("consul service-splitter web");
    assertThat(routes.get(0).pathRewrite()).isEqualTo(PathRewrite.replacePrefix("/admin", "/"));
    // The only failover target is in another datacenter: its instances there, same subset.
    assertThat(web.failover().get(ServiceConfig.ANY_SUBSET))
        .containsExactly(Backend.of("web__dc2", 1).withSubset("v1"));
    assertThat(web.failover().get("v2"))
        .containsExactly(Backend.of("web__dc2", 1).withSubset("v2"));
    assertThat(result.warnings()).noneMatch(w -> w.contains("PrefixRewrite") || w.contains("dc2"));
  }

  @Test
  void subsetFiltersSelectEndpointsByMetaAndOnlyPassingLeavesWarningsOut() {
    ServiceConfig web =
        new ChainCompiler(
                Map.of(),
                Map.of(),
                Map.of(
                    "web",
                    ServiceResolver.parse(
                        "web", json("authored/config-service-resolver-web.json"))),
                "default")
            .compile()
            .config()
            .service(ServiceName.of("web"));
    Endpoint v1 =
        Endpoint.of("10.0.0.1", 80)
            .withLabels(Map.of("version", "v1", EndpointLabels.HEALTH, "warning"));
    Endpoint v2passing =
        Endpoint.of("10.0.0.2", 80)
            .withLabels(Map.of("version", "v2", EndpointLabels.HEALTH, "passing"));
    Endpoint v2warning =
        Endpoint.of("10.0.0.3", 80)
            .withLabels(Map.of("version", "v2", EndpointLabels.HEALTH, "warning"));

    assertThat(web.subsets().get("v1").contains(v1)).isTrue();
    assertThat(web.subsets().get("v1").contains(v2passing)).isFalse();
    assertThat(web.subsets().get("v2").contains(v2passing)).isTrue();
    assertThat(web.subsets().get("v2").contains(v2warning)).isFalse();
  }

  @Test
  void theRootsFixtureGivesTheActiveRootAsTrustAnchor() {
    ConnectCa.Roots roots = ConnectCa.parseRoots(json("api-double/agent-connect-ca-roots.json"));

    assertThat(roots.activeRootId()).startsWith("15:bf:3a");
    assertThat(roots.anchors()).hasSize(1);
    assertThat(roots.anchors().get(0).getSubjectX500Principal().getName())
        .isEqualTo("CN=Consul CA 7");
    assertThat(X509Identity.spiffeIdOf(roots.anchors().get(0)))
        .isEqualTo(SpiffeId.parse("spiffe://124df5a0-9820-76c3-9aa9-6f62164ba1c2.consul"));
  }

  @Test
  void theLeafFixtureGivesTheCertificateAndItsEcKeyAsAnIdentity() throws Exception {
    ConnectCa.Leaf leaf = ConnectCa.parseLeaf(json("api-double/agent-connect-ca-leaf-web.json"));
    ConnectCa.Roots roots = ConnectCa.parseRoots(json("api-double/agent-connect-ca-roots.json"));
    X509Identity identity = ConnectCa.identity(leaf, roots);

    assertThat(leaf.serialNumber()).isEqualTo("08");
    assertThat(leaf.service()).isEqualTo("web");
    assertThat(leaf.validBefore()).isEqualTo(Instant.parse("2018-05-24T16:33:28Z"));
    assertThat(identity.spiffeId())
        .isEqualTo(
            SpiffeId.parse(
                "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web"));
    assertThat(identity.privateKey().getAlgorithm()).isEqualTo("EC");
    // The key is the certificate's: what it signs, the certificate's public key verifies.
    Signature sign = Signature.getInstance("SHA256withECDSA");
    sign.initSign(identity.privateKey());
    sign.update(new byte[] {1, 2, 3});
    byte[] sig = sign.sign();
    Signature verify = Signature.getInstance("SHA256withECDSA");
    verify.initVerify(identity.leaf().getPublicKey());
    verify.update(new byte[] {1, 2, 3});
    assertThat(verify.verify(sig)).isTrue();
    // And the leaf chains to the root (its dates aside).
    identity.leaf().verify(roots.anchors().get(0).getPublicKey());
  }

  @Test
  void theIntentionsMatchFixtureBecomesRulesThatAgreeWithTheCheckAndAuthorizeFixtures() {
    List<Intentions.Intention> list =
        Intentions.parse(json("api-double/connect-intentions-match.json"), "db");
    assertThat(list)
        .extracting(Intentions.Intention::describe)
        .containsExactly("billing => db", "web => db");
    assertThat(list).extracting(Intentions.Intention::precedence).containsExactly(9, 9);
    AccessPolicy policy =
        AccessPolicy.of(
            Intentions.compile("default", "db", list, AccessRule.Action.DENY),
            AccessRule.Action.ALLOW);
    ConsulAuthorizer authorizer = ConsulAuthorizer.of(policy);
    Json request = json("authored/agent-connect-authorize-request.json");
    Json allowed = json("authored/agent-connect-authorize-allowed.json");
    Json denied = json("authored/agent-connect-authorize-denied.json");
    Json check = json("api-double/connect-intentions-check.json");

    ConsulAuthorizer.Result web =
        authorizer.authorize(request.string("Target", ""), request.string("ClientCertURI", ""));
    ConsulAuthorizer.Result api =
        authorizer.authorize(
            "db", "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/api");
    ConsulAuthorizer.Result billing =
        authorizer.authorize(
            "db",
            "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/billing");

    assertThat(web.authorized())
        .isEqualTo(allowed.bool("Authorized", false))
        .isEqualTo(check.bool("Allowed", false));
    assertThat(web.reason()).isEqualTo(allowed.string("Reason", ""));
    assertThat(api.authorized()).isEqualTo(denied.bool("Authorized", true));
    assertThat(api.reason()).isEqualTo(denied.string("Reason", ""));
    assertThat(billing)
        .isEqualTo(
            new ConsulAuthorizer.Result(false, "Matched L4 intention: billing => db (deny)"));
  }

  @Test
  void headerModifiersKeepConsulsOrder() {
    HeaderMods mods = new HeaderMods(Map.of("x-a", "1"), Map.of("x-b", "2"), List.of("x-c"));

    assertThat(mods.toModifier(json("authored/config-service-router-web.json")))
        .isEqualTo(HeaderModifier.builder().remove("x-c").set("x-b", "2").add("x-a", "1").build());
  }
}
