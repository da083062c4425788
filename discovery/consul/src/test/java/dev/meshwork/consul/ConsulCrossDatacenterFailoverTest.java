package dev.meshwork.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.io.IOException;
import java.net.InetAddress;
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
 * Service-resolver failover to other datacenters on real loopback backends, with WireMock playing
 * the local Consul agent that answers {@code ?dc=} queries for the other datacenters.
 */
class ConsulCrossDatacenterFailoverTest {

  private static final Duration WITHIN = Duration.ofSeconds(10);
  private static final String HEALTH = "/v1/health/service/web";

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

  /** A backend answering 200 with its name in a header. */
  private MockWebServer backend(String name) throws IOException {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder().code(200).addHeader("x-backend", name).build();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
    servers.add(server);
    return server;
  }

  private void start() throws InterruptedException {
    source =
        ConsulSource.builder(consul.agent())
            .services("web")
            .wait(Duration.ofSeconds(2))
            .rateLimit(2, Duration.ofMillis(50))
            .backoff(Duration.ofMillis(20), Duration.ofMillis(100))
            .build();
    mesh = Mesh.builder().source(source).listener(events).random(new SeededRandom(5)).build();
    assertThat(mesh.awaitReady(WITHIN)).isTrue();
    client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  }

  private List<Endpoint> endpoints(String service) {
    return mesh.snapshot().endpoints(ServiceName.of(service));
  }

  private void assertAllGoTo(String backend) throws IOException {
    for (int i = 0; i < 20; i++) {
      try (Response r =
          client.newCall(new Request.Builder().url("http://web/items/" + i).build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.header("x-backend")).isEqualTo(backend);
      }
    }
  }

  private static String web(String dc, MockWebServer server, String version, String status) {
    return HealthJson.of(
        HealthJson.instance(
            "web", "web-" + dc + "-" + version, server.getPort(), version, status, dc));
  }

  @Test
  void withEveryLocalInstanceCriticalTrafficGoesToTheNextDatacenterAndReturns() throws Exception {
    MockWebServer local = backend("dc1");
    MockWebServer dc2 = backend("dc2");
    MockWebServer dc3 = backend("dc3");
    consul.set(HEALTH, web("dc1", local, "v1", "passing"));
    consul.set(HEALTH + "?dc=dc2", web("dc2", dc2, "v1", "passing"));
    consul.set(HEALTH + "?dc=dc3", web("dc3", dc3, "v1", "passing"));
    consul.set(
        "/v1/config/service-resolver/web",
        """
        {"Kind": "service-resolver", "Name": "web",
         "Failover": {"*": {"Datacenters": ["dc2", "dc3"]}}}
        """);
    start();
    await().atMost(WITHIN).until(() -> endpoints("web__dc2").size() == 1);
    await().atMost(WITHIN).until(() -> endpoints("web__dc3").size() == 1);
    assertThat(endpoints("web__dc2").get(0).label("consul.datacenter")).isEqualTo("dc2");
    assertAllGoTo("dc1");

    consul.set(HEALTH, web("dc1", local, "v1", "critical"));
    await().atMost(WITHIN).until(() -> endpoints("web").isEmpty());
    // The first datacenter of the list takes all of it.
    assertAllGoTo("dc2");

    consul.set(HEALTH, web("dc1", local, "v1", "passing"));
    await().atMost(WITHIN).until(() -> endpoints("web").size() == 1);
    assertAllGoTo("dc1");

    // One blocking watch for dc2's health through the local agent, moving on Consul's index.
    List<LoggedRequest> dc2Queries =
        consul.requests(HEALTH).stream()
            .filter(r -> r.queryParameter("dc").containsValue("dc2"))
            .toList();
    assertThat(dc2Queries.get(0).queryParameter("index").isPresent()).isFalse();
    await().atMost(WITHIN).until(() -> consul.received(HEALTH + "?dc=dc2") >= 2);
    assertThat(source.warnings()).isEmpty();
    assertThat(source.watchedRemoteServices())
        .containsExactlyInAnyOrder(ServiceName.of("web__dc2"), ServiceName.of("web__dc3"));
  }

  @Test
  void targetsInOtherDatacentersAreTriedInTheirListedOrderWithTheirSubsets() throws Exception {
    MockWebServer local = backend("dc1-v1");
    MockWebServer dc2 = backend("dc2-v1");
    MockWebServer dc3 = backend("dc3-v2");
    consul.set(HEALTH, web("dc1", local, "v1", "passing"));
    consul.set(HEALTH + "?dc=dc2", web("dc2", dc2, "v1", "passing"));
    consul.set(HEALTH + "?dc=dc3", web("dc3", dc3, "v2", "passing"));
    consul.set(
        "/v1/config/service-resolver/web",
        """
        {"Kind": "service-resolver", "Name": "web", "DefaultSubset": "v1",
         "Subsets": {"v1": {"Filter": "Service.Meta.version == v1"},
                     "v2": {"Filter": "Service.Meta.version == v2"}},
         "Failover": {"v1": {"Targets": [{"Datacenter": "dc2"},
                                         {"Datacenter": "dc3", "ServiceSubset": "v2"}]}}}
        """);
    start();
    await().atMost(WITHIN).until(() -> endpoints("web__dc2").size() == 1);
    await().atMost(WITHIN).until(() -> endpoints("web__dc3").size() == 1);
    assertAllGoTo("dc1-v1");

    consul.set(HEALTH, web("dc1", local, "v1", "critical"));
    await().atMost(WITHIN).until(() -> endpoints("web").isEmpty());
    assertAllGoTo("dc2-v1");

    consul.set(HEALTH + "?dc=dc2", web("dc2", dc2, "v1", "critical"));
    await().atMost(WITHIN).until(() -> endpoints("web__dc2").isEmpty());
    assertAllGoTo("dc3-v2");

    consul.set(HEALTH, web("dc1", local, "v1", "passing"));
    await().atMost(WITHIN).until(() -> endpoints("web").size() == 1);
    assertAllGoTo("dc1-v1");
  }

  @Test
  void aDatacenterNoEntryNamesAnyMoreIsNoLongerWatchedAndItsEndpointsGo() throws Exception {
    MockWebServer local = backend("dc1");
    MockWebServer dc2 = backend("dc2");
    consul.set(HEALTH, web("dc1", local, "v1", "critical"));
    consul.set(HEALTH + "?dc=dc2", web("dc2", dc2, "v1", "passing"));
    consul.set(
        "/v1/config/service-resolver/web",
        """
        {"Kind": "service-resolver", "Name": "web",
         "Failover": {"*": {"Datacenters": ["dc2"]}}}
        """);
    start();
    await().atMost(WITHIN).until(() -> endpoints("web__dc2").size() == 1);
    assertAllGoTo("dc2");

    consul.delete("/v1/config/service-resolver/web");
    await().atMost(WITHIN).until(() -> source.watchedRemoteServices().isEmpty());
    await().atMost(WITHIN).until(() -> !mesh.snapshot().knows(ServiceName.of("web__dc2")));
    // The local service is still watched, under its own name only.
    assertThat(source.watchedServices()).containsExactly("web");
  }

  @Test
  void whileTheOtherDatacenterCannotBeAskedItsLastInstancesKeepServing() throws Exception {
    MockWebServer local = backend("dc1");
    MockWebServer dc2 = backend("dc2");
    consul.set(HEALTH, web("dc1", local, "v1", "critical"));
    String dc2Health = web("dc2", dc2, "v1", "passing");
    consul.set(HEALTH + "?dc=dc2", dc2Health);
    consul.set(
        "/v1/config/service-resolver/web",
        """
        {"Kind": "service-resolver", "Name": "web",
         "Failover": {"*": {"Datacenters": ["dc2"]}}}
        """);
    start();
    await().atMost(WITHIN).until(() -> endpoints("web__dc2").size() == 1);

    // The next queries for dc2 fail (as when the WAN link is down): reported, nothing removed.
    consul.failNext(HEALTH + "?dc=dc2", 3);
    consul.set(HEALTH + "?dc=dc2", dc2Health);
    await()
        .atMost(WITHIN)
        .until(() -> events.events("sourceFailed").stream().anyMatch(e -> e.contains("dc=dc2")));
    assertThat(endpoints("web__dc2")).hasSize(1);
    assertAllGoTo("dc2");

    // The watch backs off, recovers, and follows dc2 again.
    await().atMost(WITHIN).until(() -> !events.events("sourceRecovered").isEmpty());
    consul.set(HEALTH + "?dc=dc2", web("dc2", dc2, "v1", "critical"));
    await().atMost(WITHIN).until(() -> endpoints("web__dc2").isEmpty());
  }
}
