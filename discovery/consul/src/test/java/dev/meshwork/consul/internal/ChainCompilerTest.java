package dev.meshwork.consul.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.PathRewrite;
import dev.meshwork.RetryPolicy;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Router path rewrites, resolver failover and retry conditions, compiled into core config. */
class ChainCompilerTest {

  private static Json json(String kind, String body) {
    return Json.parse(
        "consul /v1/config/" + kind + "/web",
        RawBody.of(body.replace('\'', '"').getBytes(StandardCharsets.UTF_8)));
  }

  private static ServiceRouter router(String body) {
    return ServiceRouter.parse("web", json("service-router", body));
  }

  private static ServiceResolver resolver(String name, String body) {
    return ServiceResolver.parse(name, json("service-resolver", body));
  }

  private static ChainCompiler.Result compile(
      Map<String, ServiceRouter> routers, Map<String, ServiceResolver> resolvers) {
    return new ChainCompiler(routers, Map.of(), resolvers, "default", "dc1").compile();
  }

  private static final String SUBSETS =
      "'DefaultSubset': 'v1', 'Subsets': {'v1': {'Filter': 'Service.Meta.version == v1'},"
          + " 'v2': {'Filter': 'Service.Meta.version == v2'}}";

  @Test
  void aPrefixRewriteReplacesThePathPrefixTheRouteMatched() {
    Route admin =
        compile(
                Map.of(
                    "web",
                    router(
                        "{'Routes': [{'Match': {'HTTP': {'PathPrefix': '/admin/'}},"
                            + " 'Destination': {'Service': 'admin', 'PrefixRewrite': '/v2/'}}]}")),
                Map.of())
            .config()
            .service(ServiceName.of("web"))
            .routes()
            .get(0);

    assertThat(admin.pathRewrite()).isEqualTo(PathRewrite.replacePrefix("/admin/", "/v2/"));
    assertThat(admin.pathRewrite().apply("/admin/users")).isEqualTo("/v2/users");
    assertThat(admin.pathRewrite().apply("/admin")).isEqualTo("/v2/");
  }

  @Test
  void aPrefixRewriteOnAnExactPathReplacesTheWholePath() {
    Route login =
        compile(
                Map.of(
                    "web",
                    router(
                        "{'Routes': [{'Match': {'HTTP': {'PathExact': '/login'}},"
                            + " 'Destination': {'PrefixRewrite': '/auth/v1/login'}}]}")),
                Map.of())
            .config()
            .service(ServiceName.of("web"))
            .routes()
            .get(0);

    assertThat(login.pathRewrite()).isEqualTo(PathRewrite.replaceFull("/auth/v1/login"));
    assertThat(login.pathRewrite().apply("/login")).isEqualTo("/auth/v1/login");
  }

  @Test
  void aPrefixRewriteThatIsNotAnAbsolutePathIsRejected() {
    assertThatThrownBy(
            () ->
                router(
                    "{'Routes': [{'Match': {'HTTP': {'PathPrefix': '/admin'}},"
                        + " 'Destination': {'PrefixRewrite': 'v2'}}]}"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "consul /v1/config/service-router/web: Routes[0].Destination.PrefixRewrite: \"v2\""
                + " (expected a path starting with /)");
  }

  @Test
  void localFailoverTargetsBecomeCoreFailoverPerSubsetAndForAnySubset() {
    ChainCompiler.Result result =
        compile(
            Map.of(),
            Map.of(
                "web",
                resolver(
                    "web",
                    "{"
                        + SUBSETS
                        + ", 'Failover': {'v1': {'ServiceSubset': 'v2'},"
                        + " '*': {'Service': 'web-backup'}}}")));
    ServiceConfig web = result.config().service(ServiceName.of("web"));

    assertThat(web.failover())
        .containsOnlyKeys("v1", ServiceConfig.ANY_SUBSET)
        .containsEntry("v1", List.of(Backend.of("web", 1).withSubset("v2")))
        .containsEntry(ServiceConfig.ANY_SUBSET, List.of(Backend.of("web-backup", 1)));
    assertThat(result.warnings()).isEmpty();
  }

  @Test
  void failoverTargetsBehindPeersPartitionsOrSamenessGroupsAreLeftOutWithAWarning() {
    ChainCompiler.Result result =
        compile(
            Map.of(),
            Map.of(
                "web",
                resolver(
                    "web",
                    "{"
                        + SUBSETS
                        + ", 'Failover': {'v1': {'Targets': ["
                        + "{'Datacenter': 'dc2'}, {'ServiceSubset': 'v2'}, {'Peer': 'east'},"
                        + " {'Service': 'web-backup', 'Datacenter': 'dc1'},"
                        + " {'Service': 'web-backup', 'Partition': 'billing'}]},"
                        + " 'v2': {'Datacenters': ['dc3']},"
                        + " '*': {'SamenessGroup': 'everywhere'}}}")));
    ServiceConfig web = result.config().service(ServiceName.of("web"));

    // Targets keep their order; the same service without a subset keeps the one that failed.
    assertThat(web.failover())
        .containsOnlyKeys("v1", "v2")
        .containsEntry(
            "v1",
            List.of(
                Backend.of("web__dc2", 1).withSubset("v1"),
                Backend.of("web", 1).withSubset("v2"),
                Backend.of("web-backup", 1)))
        .containsEntry("v2", List.of(Backend.of("web__dc3", 1).withSubset("v2")));
    assertThat(result.remotes())
        .containsOnly(
            Map.entry(ServiceName.of("web__dc2"), new RemoteServices.Remote("web", "dc2")),
            Map.entry(ServiceName.of("web__dc3"), new RemoteServices.Remote("web", "dc3")));
    // The other datacenter's instances are selected by the same subsets.
    assertThat(result.config().service(ServiceName.of("web__dc2")).subsets())
        .containsOnlyKeys("v1", "v2");
    String at = "consul /v1/config/service-resolver/web: Failover.";
    assertThat(result.warnings())
        .containsExactlyInAnyOrder(
            at
                + "v1.Targets[2] Peer \"east\" is not supported (meshwork fails over to services"
                + " of the local partition, in this or another datacenter, only); ignored",
            at
                + "v1.Targets[4] Partition \"billing\" is not supported (meshwork fails over"
                + " within the local partition only); ignored",
            at
                + "*.SamenessGroup is not supported (meshwork fails over to services of the local"
                + " partition, in this or another datacenter, only); ignored");
  }

  @Test
  void datacentersAreTriedInListOrderForEverySubsetWithTheSubsetThatFailed() {
    ChainCompiler.Result result =
        compile(
            Map.of(),
            Map.of(
                "web",
                resolver(
                    "web",
                    "{"
                        + SUBSETS
                        + ", 'Failover': {'*': {'Datacenters': ['dc3', 'dc1', 'dc2']}}}")));
    ServiceConfig web = result.config().service(ServiceName.of("web"));

    // dc1 is the local datacenter: the service itself, in its place in the list.
    assertThat(web.failover())
        .containsOnlyKeys(ServiceConfig.ANY_SUBSET, "v2")
        .containsEntry(
            ServiceConfig.ANY_SUBSET,
            List.of(
                Backend.of("web__dc3", 1).withSubset("v1"),
                Backend.of("web", 1).withSubset("v1"),
                Backend.of("web__dc2", 1).withSubset("v1")))
        .containsEntry(
            "v2",
            List.of(
                Backend.of("web__dc3", 1).withSubset("v2"),
                Backend.of("web", 1).withSubset("v2"),
                Backend.of("web__dc2", 1).withSubset("v2")));
    assertThat(result.remotes())
        .containsOnlyKeys(ServiceName.of("web__dc2"), ServiceName.of("web__dc3"));
    assertThat(result.warnings()).isEmpty();
  }

  @Test
  void aTargetInAnotherDatacenterGoesThroughItsServicesResolverForItsDefaultSubset() {
    ChainCompiler.Result result =
        compile(
            Map.of(),
            Map.of(
                "web",
                resolver(
                    "web",
                    "{'Failover': {'*': {'Targets': [{'Service': 'web-backup', 'Datacenter':"
                        + " 'dc2'}, {'Service': 'web-backup', 'ServiceSubset': 'v2',"
                        + " 'Datacenter': 'dc2'}]}}}"),
                "web-backup",
                resolver("web-backup", "{" + SUBSETS + "}")));

    assertThat(result.config().service(ServiceName.of("web")).failover())
        .containsOnly(
            Map.entry(
                ServiceConfig.ANY_SUBSET,
                List.of(
                    Backend.of("web-backup__dc2", 1).withSubset("v1"),
                    Backend.of("web-backup__dc2", 1).withSubset("v2"))));
    assertThat(result.remotes())
        .containsOnly(
            Map.entry(
                ServiceName.of("web-backup__dc2"), new RemoteServices.Remote("web-backup", "dc2")));
  }

  @Test
  void aDatacenterThatCannotNameAServiceIsRejected() {
    Map<String, ServiceResolver> resolvers =
        Map.of("web", resolver("web", "{'Failover': {'*': {'Datacenters': ['dc 2']}}}"));

    assertThatThrownBy(() -> compile(Map.of(), resolvers))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "consul /v1/config/service-resolver/web: Failover.*: \"dc 2\" (expected a datacenter"
                + " name of letters, digits, '-' or '_'");
  }

  @Test
  void aFailoverTargetGoesThroughItsServicesResolverForItsDefaultSubset() {
    ServiceConfig web =
        compile(
                Map.of(),
                Map.of(
                    "web",
                    resolver("web", "{'Failover': {'*': {'Service': 'web-backup'}}}"),
                    "web-backup",
                    resolver("web-backup", "{" + SUBSETS + "}")))
            .config()
            .service(ServiceName.of("web"));

    assertThat(web.failover().get(ServiceConfig.ANY_SUBSET))
        .containsExactly(Backend.of("web-backup", 1).withSubset("v1"));
  }

  @Test
  void aFailoverToASubsetNoResolverDefinesIsRejected() {
    Map<String, ServiceResolver> resolvers =
        Map.of("web", resolver("web", "{'Failover': {'*': {'ServiceSubset': 'v9'}}}"));

    assertThatThrownBy(() -> compile(Map.of(), resolvers))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "consul /v1/config/service-resolver/web: Failover.*.ServiceSubset: \"v9\""
                + " (expected a subset defined by service-resolver web");
  }

  @Test
  void failoverWithTargetsAndAServiceOrNoTargetAtAllIsRejectedAsConsulWould() {
    assertThatThrownBy(
            () ->
                resolver(
                    "web", "{'Failover': {'*': {'Service': 'a', 'Targets': [{'Service': 'b'}]}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Failover.*.Targets")
        .hasMessageContaining("(expected Targets alone");
    assertThatThrownBy(() -> resolver("web", "{'Failover': {'*': {}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "consul /v1/config/service-resolver/web: Failover.*: \"{}\" (expected one of"
                + " Service, ServiceSubset, Namespace, Targets, SamenessGroup or Datacenters)");
  }

  /** Which destinations retry a request that could not be sent, as Consul has Envoy do. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "'NumRetries': 2, 'RetryOnConnectFailure': true | true | 3",
        "'RetryOnConnectFailure': true                  | true | 2",
        "'NumRetries': 2                                | false | 3",
        "'NumRetries': 2, 'RetryOnStatusCodes': [503]   | false | 3",
        "'RetryOn': ['connect-failure']                 | true | 2",
        "'RetryOn': ['reset']                           | true | 2",
        "'RetryOn': ['5xx']                             | true | 2",
        "'RetryOn': ['gateway-error']                   | true | 2",
        "'RetryOn': ['retriable-4xx']                   | false | 2",
        "'RetryOn': ['unavailable']                     | false | 2",
      })
  void connectFailuresAreRetriedOnlyWhenTheDestinationAsksForIt(
      String destination, boolean retried, int attempts) {
    Route route =
        compile(
                Map.of(
                    "web",
                    router(
                        "{'Routes': [{'Match': {'HTTP': {'PathPrefix': '/x'}},"
                            + " 'Destination': {"
                            + destination
                            + "}}]}")),
                Map.of())
            .config()
            .service(ServiceName.of("web"))
            .routes()
            .get(0);

    RetryPolicy policy = route.retryPolicy();
    assertThat(policy.retriesConnectFailures()).isEqualTo(retried);
    assertThat(policy.maxAttempts()).isEqualTo(attempts);
  }

  @Test
  void aDestinationWithoutRetryFieldsKeepsTheMeshsPolicy() {
    Route route =
        compile(
                Map.of(
                    "web",
                    router(
                        "{'Routes': [{'Match': {'HTTP': {'PathPrefix': '/x'}},"
                            + " 'Destination': {'Service': 'api'}}]}")),
                Map.of())
            .config()
            .service(ServiceName.of("web"))
            .routes()
            .get(0);

    assertThat(route.retryPolicy()).isNull();
  }
}
