package dev.meshwork.consul;

import static dev.meshwork.consul.FakeConsul.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.meshwork.AccessRule;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ConsulSource against WireMock playing Consul with real blocking queries; the mesh runs on a fake
 * clock, so any rate limit or backoff would have to be advanced by hand: changes that arrive
 * without advancing it arrived without waiting for any timer.
 */
class ConsulSourceTest {

  private static final String WEB = "/v1/health/service/web";
  private static final String API = "/v1/health/service/api";

  private final FakeConsul consul = new FakeConsul();
  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();
  private Mesh mesh;

  @AfterEach
  void close() {
    if (mesh != null) {
      mesh.close();
    }
    consul.close();
  }

  private ConsulSource.Builder source() {
    return ConsulSource.builder(consul.agent()).wait(Duration.ofSeconds(1));
  }

  private Mesh mesh(ConsulSource source) {
    mesh =
        Mesh.builder()
            .source(source)
            .listener(events)
            .ticker(ticker)
            .scheduler(ticker.scheduler())
            .random(new SeededRandom(7))
            .build();
    return mesh;
  }

  private List<Endpoint> endpoints(String service) {
    return mesh.snapshot().endpoints(ServiceName.of(service));
  }

  /** Waits until {@code n} queries for {@code path} reached Consul (the last one may hang). */
  private void awaitRequests(String path, int n) {
    await().atMost(Duration.ofSeconds(10)).until(() -> consul.received(path) >= n);
  }

  /** Waits until {@code n} queries for {@code path} have been answered. */
  private List<LoggedRequest> awaitAnswered(String path, int n) {
    await().atMost(Duration.ofSeconds(10)).until(() -> consul.requests(path).size() >= n);
    return consul.requests(path);
  }

  @Test
  void healthBecomesWeightedLabelledEndpointsAndCriticalInstancesAreLeftOut() throws Exception {
    consul.set(WEB, fixture("authored/health-service-web.json"));
    mesh(source().services("web").build());

    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();

    List<Endpoint> web = endpoints("web");
    assertThat(web)
        .extracting(Endpoint::authority)
        .containsExactly("10.0.0.21:8080", "10.0.0.12:8080");
    assertThat(web.get(0).weight()).isEqualTo(10);
    assertThat(web.get(0).labels())
        .containsEntry("version", "v1")
        .containsEntry("tag:primary", "true")
        .containsEntry("consul.datacenter", "dc1")
        .containsEntry("consul.service-id", "web-1")
        .containsEntry("consul.health", "passing");
    // Empty Service.Address: the node's address; a warning check: the warning weight.
    assertThat(web.get(1).label("consul.health")).isEqualTo("warning");
  }

  @Test
  void anInstanceInWarningGetsItsWarningWeight() {
    consul.set(
        WEB,
        fixture("authored/health-service-web.json")
            .replace(
                "\"Weights\": {\"Passing\": 1, \"Warning\": 1},\n      \"EnableTagOverride\": false,\n      \"Proxy\": {\"Mode\": \"\", \"MeshGateway\": {}, \"Expose\": {}},\n      \"Connect\": {},\n      \"PeerName\": \"\",\n      \"CreateIndex\": 30",
                "\"Weights\": {\"Passing\": 5, \"Warning\": 2},\n      \"EnableTagOverride\": false,\n      \"Proxy\": {\"Mode\": \"\", \"MeshGateway\": {}, \"Expose\": {}},\n      \"Connect\": {},\n      \"PeerName\": \"\",\n      \"CreateIndex\": 30"));
    mesh(source().services("web").build());

    await().atMost(Duration.ofSeconds(10)).until(() -> endpoints("web").size() == 2);

    assertThat(endpoints("web").get(1).authority()).isEqualTo("10.0.0.12:8080");
    assertThat(endpoints("web").get(1).weight()).isEqualTo(2);
  }

  @Test
  void anInstanceGoingCriticalReachesRoutingAsSoonAsTheBlockingQueryReturns() {
    consul.set(WEB, fixture("authored/health-service-web-passing.json"));
    mesh(source().services("web").build());
    awaitRequests(WEB, 2);
    assertThat(endpoints("web")).extracting(Endpoint::authority).containsExactly("10.0.0.21:8080");
    long now = ticker.nanoTime();

    consul.set(
        WEB,
        fixture("authored/health-service-web-passing.json")
            .replace(
                "\"Status\": \"passing\",\n        \"Notes\": \"\",\n        \"Output\": \"HTTP GET",
                "\"Status\": \"critical\",\n        \"Notes\": \"\",\n        \"Output\": \"HTTP GET"));

    await().atMost(Duration.ofSeconds(5)).until(() -> endpoints("web").isEmpty());
    assertThat(ticker.nanoTime())
        .as("no timer stood between the answer and routing")
        .isEqualTo(now);
    // The held query was a real blocking one.
    List<LoggedRequest> first = awaitAnswered(WEB, 2);
    assertThat(first.get(1).queryParameter("index").firstValue()).isEqualTo("101");
    assertThat(first.get(1).queryParameter("wait").firstValue()).isEqualTo("1s");
    assertThat(first.get(1).getHeader("X-Consul-Token")).isEqualTo("secret-token");
  }

  @Test
  void everyServiceHasItsOwnWatchAndAChangeWakesOnlyThatOne() {
    consul.set(WEB, fixture("authored/health-service-web-passing.json"));
    consul.set(API, "[]");
    mesh(source().services("web", "api").build());
    awaitRequests(WEB, 2);
    awaitRequests(API, 2);

    consul.set(WEB, "[]");
    await().atMost(Duration.ofSeconds(5)).until(() -> endpoints("web").isEmpty());
    ticker.advance(Duration.ofSeconds(15));
    awaitRequests(WEB, 3);

    assertThat(consul.received(API)).as("api's query still hangs, untouched").isEqualTo(2);
    assertThat(consul.requests("/v1/catalog/services")).isEmpty();
  }

  @Test
  void theServicesTheMeshRoutesAreWatchedToo() {
    consul.set(WEB, fixture("authored/health-service-web-passing.json"));
    consul.set(
        "/v1/config/service-splitter/web",
        "{\"Kind\":\"service-splitter\",\"Name\":\"web\",\"Splits\":["
            + "{\"Weight\":50},{\"Weight\":50,\"Service\":\"api\"}]}");
    ConsulSource source = source().services("web").build();
    mesh(source);

    await().atMost(Duration.ofSeconds(10)).until(() -> source.watchedServices().contains("api"));
    awaitRequests(API, 1);
  }

  @Test
  void waitPlusConsulsJitterDoesNotTimeOutAndAnUnchangedIndexPublishesNothing() {
    consul.set(WEB, fixture("authored/health-service-web-passing.json"));
    consul.jitter(Duration.ofMillis(1000 / 16));
    mesh(source().services("web").build());
    awaitRequests(WEB, 2);
    long generation = mesh.snapshot().generation();

    // The second query hangs for wait + wait/16 and returns the same index.
    await().atMost(Duration.ofSeconds(10)).until(() -> ticker.pendingTasks() > 0);
    ticker.advance(Duration.ofSeconds(15));
    awaitRequests(WEB, 3);
    List<LoggedRequest> requests = awaitAnswered(WEB, 2);

    assertThat(events.events("sourceFailed")).isEmpty();
    assertThat(requests.get(1).queryParameter("index").firstValue()).isEqualTo("101");
    assertThat(mesh.snapshot().generation()).isEqualTo(generation);
  }

  @Test
  void intentionsBecomeAccessRulesThatTheAuthorizerAnswersFrom() {
    consul.defaultAclPolicy("deny");
    consul.set("/v1/connect/intentions/match", fixture("api-double/connect-intentions-match.json"));
    mesh(source().intentionsFor("db").build());

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !mesh.snapshot().accessPolicy().rules().isEmpty());
    ConsulAuthorizer authorizer = ConsulAuthorizer.of(mesh);
    String td = "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/";

    assertThat(authorizer.authorize("db", td + "web"))
        .isEqualTo(new ConsulAuthorizer.Result(true, "Matched L4 intention: web => db (allow)"));
    assertThat(authorizer.authorize("db", td + "billing").authorized()).isFalse();
    assertThat(authorizer.authorize("db", td + "api"))
        .isEqualTo(new ConsulAuthorizer.Result(false, ConsulAuthorizer.DEFAULT_REASON));
    assertThat(mesh.snapshot().accessPolicy().rules())
        .last()
        .extracting(AccessRule::action)
        .isEqualTo(AccessRule.Action.DENY);
  }
}
