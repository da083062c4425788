package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

  private static final SpiffeId CART = SpiffeId.kubernetes("cluster.local", "shop", "cart");
  private static final SpiffeId FRONTEND = SpiffeId.kubernetes("cluster.local", "shop", "frontend");
  private static final SpiffeId BATCH = SpiffeId.kubernetes("cluster.local", "ops", "batch");

  private static MeshRequest get(String path) {
    return new RequestMatchTest.Req("GET", path, Map.of(), Map.of());
  }

  private static MeshRequest post(String path) {
    return new RequestMatchTest.Req("POST", path, Map.of(), Map.of());
  }

  @Test
  void serversNoRuleNamesFollowTheDefault() {
    AccessPolicy allow = AccessPolicy.allowAll();
    assertThat(allow.evaluate(CART, null, get("/")).allowed()).isTrue();
    AccessPolicy deny = AccessPolicy.of(List.of(), AccessRule.Action.DENY);
    assertThat(deny.evaluate(CART, FRONTEND, get("/")).reason())
        .isEqualTo("no access rule names spiffe://cluster.local/ns/shop/sa/cart; default deny");
  }

  @Test
  void onceADestinationHasRulesWhatTheyDoNotAllowIsDenied() {
    AccessPolicy policy =
        AccessPolicy.of(
            List.of(
                AccessRule.allow(
                        IdentityMatch.serviceAccount("shop", "frontend"),
                        IdentityMatch.serviceAccount("shop", "cart"))
                    .withRequests(List.of(RequestMatch.builder().methods("GET").build()))
                    .withOrigin("tt.yaml: TrafficTarget shop/cart")),
            AccessRule.Action.ALLOW);
    AccessDecision ok = policy.evaluate(CART, FRONTEND, get("/items"));
    assertThat(ok.allowed()).isTrue();
    assertThat(ok.reason())
        .isEqualTo(
            "allowed by tt.yaml: TrafficTarget shop/cart"
                + " (spiffe://cluster.local/ns/shop/sa/frontend)");
    assertThat(policy.evaluate(CART, FRONTEND, post("/items")).allowed()).isFalse();
    assertThat(policy.evaluate(CART, BATCH, get("/items")).reason())
        .isEqualTo(
            "no access rule allows spiffe://cluster.local/ns/ops/sa/batch to GET /items on"
                + " spiffe://cluster.local/ns/shop/sa/cart");
    assertThat(policy.evaluate(CART, null, get("/")).allowed()).isFalse();
    assertThat(policy.evaluate(FRONTEND, BATCH, get("/")).allowed()).isTrue();
  }

  @Test
  void higherPrecedenceDecidesFirst() {
    AccessPolicy policy =
        AccessPolicy.of(
            List.of(
                AccessRule.allow(IdentityMatch.any(), IdentityMatch.service("default", "web")),
                AccessRule.deny(
                        IdentityMatch.service("default", "batch"),
                        IdentityMatch.service("default", "web"))
                    .withPrecedence(9)),
            AccessRule.Action.ALLOW);
    SpiffeId web = SpiffeId.consul("td.consul", "default", "dc1", "web");
    SpiffeId batch = SpiffeId.consul("td.consul", "default", "dc1", "batch");
    SpiffeId api = SpiffeId.consul("td.consul", "default", "dc1", "api");
    assertThat(policy.evaluate(web, batch, get("/")).allowed()).isFalse();
    assertThat(policy.evaluate(web, api, get("/")).allowed()).isTrue();
  }

  @Test
  void spiffeIdsParseBothWellKnownShapes() {
    assertThat(CART.namespace()).isEqualTo("shop");
    assertThat(CART.serviceAccount()).isEqualTo("cart");
    SpiffeId consul =
        SpiffeId.parse(
            "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web");
    assertThat(consul.service()).isEqualTo("web");
    assertThat(consul.datacenter()).isEqualTo("dc1");
    assertThat(consul.serviceAccount()).isNull();
    assertThatThrownBy(() -> SpiffeId.parse("https://x/ns/a"))
        .hasMessage("SPIFFE ID: \"https://x/ns/a\" (expected scheme spiffe://)");
    assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/ns//sa"))
        .hasMessageContaining("expected a path of non-empty segments");
  }

  @Test
  void wildcardsAndSpecificity() {
    assertThat(IdentityMatch.serviceAccount("*", "cart").matches(CART)).isTrue();
    assertThat(IdentityMatch.serviceAccount("shop", "*").matches(BATCH)).isFalse();
    assertThat(IdentityMatch.exactly(CART).specificity())
        .isGreaterThan(IdentityMatch.serviceAccount("shop", "cart").specificity());
    assertThat(IdentityMatch.serviceAccount("shop", "*").specificity())
        .isGreaterThan(IdentityMatch.serviceAccount("*", "cart").specificity());
  }
}
