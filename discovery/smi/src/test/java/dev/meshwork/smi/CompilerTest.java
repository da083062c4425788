package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.AccessPolicy;
import dev.meshwork.AccessRule;
import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Resolving references between resources, and what happens when they break or conflict. */
class CompilerTest {

  private final ResourceParser parser = new ResourceParser("default");
  private final ResourceStore store = new ResourceStore();

  private void put(String file, String yaml) {
    store.put(file, parser.parseAll(file, yaml));
  }

  private static final String GROUP =
      """
      apiVersion: specs.smi-spec.io/v1alpha4
      kind: HTTPRouteGroup
      metadata: {name: firefox}
      spec:
        matches:
        - name: firefox
          headers: {user-agent: ".*Firefox.*"}
      """;

  private static String split(String name, String groups, int v2) {
    return """
        apiVersion: split.smi-spec.io/v1alpha4
        kind: TrafficSplit
        metadata: {name: %s}
        spec:
          service: website
          %s
          backends:
          - {service: website-v1, weight: %d}
          - {service: website-v2, weight: %d}
        """
        .formatted(name, groups, 100 - v2, v2);
  }

  private List<Route> routes(Compiler.Result r) {
    return r.config().service(ServiceName.of("website")).routes();
  }

  @Test
  void splitsWithMatchesComeBeforeTheSplitOfEveryRequest() {
    put("a.yaml", split("all", "", 10));
    put(
        "b.yaml",
        split("ab", "matches: [{kind: HTTPRouteGroup, name: firefox}]", 100) + "---\n" + GROUP);
    Compiler.Result r = store.compile();
    assertThat(r.problems()).isEmpty();
    assertThat(routes(r)).extracting(Route::name).containsExactly("ab", "all");
  }

  @Test
  void aSecondSplitOfEveryRequestIsReportedAndTheFirstWins() {
    put("a.yaml", split("first", "", 10));
    put("b.yaml", split("second", "", 50));
    Compiler.Result r = store.compile();
    assertThat(routes(r)).extracting(Route::name).containsExactly("first");
    assertThat(r.problems())
        .extracting(ConfigException::getMessage)
        .containsExactly(
            "b.yaml: TrafficSplit default/second: spec.service: \"website.default\""
                + " (expected one TrafficSplit without matches per service; a.yaml: TrafficSplit"
                + " default/first already splits every request to it)");
  }

  @Test
  void theSameResourceInTwoFilesIsReportedAndTheFileSortingFirstWins() {
    put("b.yaml", split("canary", "", 50));
    put("a.yaml", split("canary", "", 10));
    Compiler.Result r = store.compile();
    assertThat(routes(r).get(0).backends()).extracting(Backend::weight).containsExactly(90, 10);
    assertThat(r.problems())
        .extracting(ConfigException::getMessage)
        .containsExactly(
            "b.yaml: TrafficSplit default/canary: metadata.name: \"canary\""
                + " (expected a name not already used by TrafficSplit in a.yaml)");
  }

  @Test
  void aBrokenReferenceKeepsWhatTheResourceCompiledToBefore() {
    put("split.yaml", split("ab", "matches: [{kind: HTTPRouteGroup, name: firefox}]", 100));
    put("group.yaml", GROUP);
    List<Route> before = routes(store.compile());

    store.remove("group.yaml");
    Compiler.Result r = store.compile();

    assertThat(routes(r)).isEqualTo(before);
    assertThat(r.problems())
        .extracting(ConfigException::getMessage)
        .containsExactly(
            "split.yaml: TrafficSplit default/ab: spec.matches[0].name: \"firefox\""
                + " (expected an HTTPRouteGroup in default)");
  }

  @Test
  void aSplitWhoseGroupNeverExistedContributesNothing() {
    put("split.yaml", split("ab", "matches: [{kind: HTTPRouteGroup, name: firefox}]", 100));
    Compiler.Result r = store.compile();
    assertThat(r.config().services()).isEmpty();
    assertThat(r.problems()).hasSize(1);
  }

  private static final String TARGET =
      """
      apiVersion: access.smi-spec.io/v1alpha3
      kind: TrafficTarget
      metadata: {name: t}
      spec:
        destination: {kind: ServiceAccount, name: api}
        rules:
        - kind: HTTPRouteGroup
          name: firefox
          matches: [%s]
        sources:
        - {kind: IdentityBinding, name: web}
      """;

  private static final String BINDING =
      """
      apiVersion: access.smi-spec.io/v1alpha4
      kind: IdentityBinding
      metadata: {name: web}
      spec:
        schemes:
          serviceAccount: web
          spiffeIdentities: ["other.domain/ns/x/sa/y"]
      """;

  @Test
  void trafficTargetSourcesMayBeIdentityBindings() {
    put("t.yaml", TARGET.formatted("firefox") + "---\n" + GROUP + "---\n" + BINDING);
    Compiler.Result r = store.compile();
    assertThat(r.problems()).isEmpty();
    AccessPolicy policy = AccessPolicy.of(r.config().accessRules(), AccessRule.Action.ALLOW);
    SpiffeId api = SpiffeId.kubernetes("cluster.local", "default", "api");
    TestRequest firefox = TestRequest.get("/").header("user-agent", "Firefox");
    assertThat(policy.evaluate(api, SpiffeId.kubernetes("td", "default", "web"), firefox).allowed())
        .isTrue();
    assertThat(
            policy
                .evaluate(api, SpiffeId.parse("spiffe://other.domain/ns/x/sa/y"), firefox)
                .allowed())
        .isTrue();
    assertThat(
            policy
                .evaluate(api, SpiffeId.kubernetes("td", "default", "web"), TestRequest.get("/"))
                .allowed())
        .isFalse();
    assertThat(r.config().accessRules())
        .allMatch(rule -> rule.origin().equals("t.yaml: TrafficTarget default/t"));
  }

  @Test
  void aTargetNamingAnUnknownMatchIsReported() {
    put("t.yaml", TARGET.formatted("chrome") + "---\n" + GROUP + "---\n" + BINDING);
    Compiler.Result r = store.compile();
    assertThat(r.config().accessRules()).isEmpty();
    assertThat(r.problems())
        .extracting(ConfigException::getMessage)
        .containsExactly(
            "t.yaml: TrafficTarget default/t: spec.rules[0].matches[0]: \"chrome\""
                + " (expected a match of HTTPRouteGroup default/firefox: [firefox])");
  }
}
