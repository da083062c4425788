package dev.meshwork.consul;

import static dev.meshwork.consul.FakeConsul.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.ServiceName;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Service-router path rewrites and retry conditions, and service-resolver failover, on real
 * loopback backends through a mesh-enabled OkHttpClient, with WireMock playing Consul.
 */
class ConsulRoutingAcceptanceTest {

  private static final Duration WITHIN = Duration.ofSeconds(10);

  private final FakeConsul consul = new FakeConsul();
  private final RecordingListener events = new RecordingListener();
  private final List<MockWebServer> servers = new ArrayList<>();
  private ConsulSource source;
  private Mesh mesh;
  private OkHttpClient client;

  @AfterEach
  void close() throws IOException {
    if (mesh != null) {
      mesh.close();
    }
    consul.close();
    for (MockWebServer s : servers) {
      s.close();
    }
  }

  /**
   * A backend answering 200 with its name and the request target it received in headers, and no
   * body: one write per response, so loopback's delayed ACKs add nothing.
   */
  private MockWebServer backend(String name) throws IOException {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder()
                .code(200)
                .addHeader("x-backend", name)
                .addHeader("x-target", request.getTarget())
                .build();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
    servers.add(server);
    return server;
  }

  private void start(String... services) throws InterruptedException {
    source =
        ConsulSource.builder(consul.agent())
            .services(services)
            .wait(Duration.ofSeconds(2))
            .rateLimit(2, Duration.ofMillis(50))
            .build();
    mesh = Mesh.builder().source(source).listener(events).random(new SeededRandom(3)).build();
    assertThat(mesh.awaitReady(WITHIN)).isTrue();
    client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  }

  private List<Endpoint> endpoints(String service) {
    return mesh.snapshot().endpoints(ServiceName.of(service));
  }

  /** GETs {@code url}; returns the backend's name and the target it received. */
  private String get(String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      // The application still sees the URL it asked for.
      assertThat(r.request().url().toString()).isEqualTo(url);
      return r.header("x-backend") + " " + r.header("x-target");
    }
  }

  @Test
  void aPrefixRewriteSendsTheRewrittenPathToTheRoutesDestination() throws Exception {
    MockWebServer web = backend("web");
    MockWebServer admin = backend("admin");
    consul.set(
        "/v1/health/service/web",
        HealthJson.of(HealthJson.instance("web", "web-1", web.getPort(), "v1")));
    consul.set(
        "/v1/health/service/admin",
        HealthJson.of(HealthJson.instance("admin", "admin-1", admin.getPort(), "v1")));
    // Routes[0]: PathPrefix /admin to service admin with PrefixRewrite "/".
    consul.set("/v1/config/service-router/web", fixture("authored/config-service-router-web.json"));
    consul.set(
        "/v1/config/service-resolver/web", fixture("authored/config-service-resolver-web.json"));
    start("web");
    await().atMost(WITHIN).until(() -> endpoints("admin").size() == 1);

    assertThat(get("http://web/admin/x")).isEqualTo("admin /x");
    assertThat(get("http://web/admin/x/y?page=2")).isEqualTo("admin /x/y?page=2");
    assertThat(get("http://web/admin")).isEqualTo("admin /");
    assertThat(get("http://web/other")).isEqualTo("web /other");
  }

  private static final String RESOLVER_WITH_FAILOVER =
      """
      {"Kind": "service-resolver", "Name": "web", "DefaultSubset": "v1",
       "Subsets": {"v1": {"Filter": "Service.Meta.version == v1"},
                   "v2": {"Filter": "Service.Meta.version == v2"}},
       "Failover": {"v1": {"Targets": [{"Datacenter": "dc2"}, {"ServiceSubset": "v2"}]}}}
      """;

  private String webHealth(MockWebServer v1, String v1Status, MockWebServer v2) {
    return HealthJson.of(
        HealthJson.instance("web", "web-1", v1.getPort(), "v1", v1Status),
        HealthJson.instance("web", "web-2", v2.getPort(), "v2"));
  }

  private void assertAllGoTo(String backend) throws IOException {
    for (int i = 0; i < 20; i++) {
      assertThat(get("http://web/items/" + i)).isEqualTo(backend + " /items/" + i);
    }
  }

  @Test
  void withThePrimarySubsetAllCriticalTrafficFailsOverAndReturnsWhenItRecovers() throws Exception {
    MockWebServer v1 = backend("v1");
    MockWebServer v2 = backend("v2");
    consul.set("/v1/health/service/web", webHealth(v1, "passing", v2));
    consul.set("/v1/config/service-resolver/web", RESOLVER_WITH_FAILOVER);
    start("web");
    await().atMost(WITHIN).until(() -> endpoints("web").size() == 2);
    assertAllGoTo("v1");

    consul.set("/v1/health/service/web", webHealth(v1, "critical", v2));
    await().atMost(WITHIN).until(() -> endpoints("web").size() == 1);
    assertAllGoTo("v2");

    consul.set("/v1/health/service/web", webHealth(v1, "passing", v2));
    await().atMost(WITHIN).until(() -> endpoints("web").size() == 2);
    assertAllGoTo("v1");

    // The first target, v1 in dc2, was watched there but has no instance: v2 took over.
    assertThat(source.watchedRemoteServices()).containsExactly(ServiceName.of("web__dc2"));
    assertThat(source.warnings()).isEmpty();
  }

  @Test
  void aFailoverToAnotherServicesSubsetWorksWithoutListingThatService() throws Exception {
    MockWebServer web = backend("web");
    MockWebServer backupV1 = backend("backup-v1");
    MockWebServer backupV2 = backend("backup-v2");
    consul.set(
        "/v1/health/service/web",
        HealthJson.of(HealthJson.instance("web", "web-1", web.getPort(), "v1")));
    consul.set(
        "/v1/health/service/web-backup",
        HealthJson.of(
            HealthJson.instance("web-backup", "b-1", backupV1.getPort(), "v1"),
            HealthJson.instance("web-backup", "b-2", backupV2.getPort(), "v2")));
    consul.set(
        "/v1/config/service-resolver/web",
        """
        {"Kind": "service-resolver", "Name": "web",
         "Failover": {"*": {"Service": "web-backup", "ServiceSubset": "v2"}}}
        """);
    // The subset is web-backup's, defined by its own resolver, which must be read first.
    consul.set(
        "/v1/config/service-resolver/web-backup",
        """
        {"Kind": "service-resolver", "Name": "web-backup",
         "Subsets": {"v1": {"Filter": "Service.Meta.version == v1"},
                     "v2": {"Filter": "Service.Meta.version == v2"}}}
        """);
    start("web");
    await().atMost(WITHIN).until(() -> endpoints("web-backup").size() == 2);
    await()
        .atMost(WITHIN)
        .until(() -> !mesh.snapshot().serviceConfig(ServiceName.of("web")).failover().isEmpty());
    assertAllGoTo("web");

    consul.set(
        "/v1/health/service/web",
        HealthJson.of(HealthJson.instance("web", "web-1", web.getPort(), "v1", "critical")));
    await().atMost(WITHIN).until(() -> endpoints("web").isEmpty());

    assertAllGoTo("backup-v2");
  }

  /** A loopback port nothing listens on: connecting to it is refused at once. */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private MeshCall failedCall(String url) {
    assertThatThrownBy(() -> get(url)).isInstanceOf(IOException.class);
    List<MeshCall> calls = events.calls();
    return calls.get(calls.size() - 1);
  }

  @Test
  void retryOnConnectFailureRetriesARefusedConnectionAndARouteWithoutItDoesNot() throws Exception {
    MockWebServer web = backend("web");
    consul.set(
        "/v1/health/service/web",
        HealthJson.of(HealthJson.instance("web", "web-1", web.getPort(), "v1")));
    consul.set(
        "/v1/health/service/flaky",
        HealthJson.of(HealthJson.instance("flaky", "flaky-1", closedPort(), "v1")));
    consul.set(
        "/v1/config/service-router/web",
        """
        {"Kind": "service-router", "Name": "web", "Routes": [
          {"Match": {"HTTP": {"PathPrefix": "/retry"}},
           "Destination": {"Service": "flaky", "NumRetries": 3, "RetryOnConnectFailure": true}},
          {"Match": {"HTTP": {"PathPrefix": "/statuses"}},
           "Destination": {"Service": "flaky", "NumRetries": 2, "RetryOnStatusCodes": [503]}}]}
        """);
    start("web");
    await().atMost(WITHIN).until(() -> endpoints("flaky").size() == 1);

    // Tried four times (NumRetries 3, not the mesh's default of 3 attempts).
    assertThat(failedCall("http://web/retry/a").attempts()).isEqualTo(4);
    // RetryOnConnectFailure is false by default in Consul: status retries do not cover it.
    assertThat(failedCall("http://web/statuses/a").attempts()).isEqualTo(1);
  }
}
