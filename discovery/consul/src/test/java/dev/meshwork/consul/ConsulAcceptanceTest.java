package dev.meshwork.consul;

import static dev.meshwork.consul.FakeConsul.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.atomic.AtomicInteger;
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
 * The acceptance on real loopback backends: a mesh-enabled OkHttpClient, WireMock playing
 * Consul with the fixtures, MockWebServer instances as the service's instances.
 */
class ConsulAcceptanceTest {

  private static final String WEB = "/v1/health/service/web";

  private final FakeConsul consul = new FakeConsul();
  private final RecordingListener events = new RecordingListener();
  private final List<MockWebServer> servers = new ArrayList<>();
  private Mesh mesh;

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

  /** A backend answering 200 with {@code name}, counting its requests. */
  private MockWebServer backend(String name, AtomicInteger count) throws IOException {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            count.incrementAndGet();
            // Identity in a header and no body: one write per response, so loopback's delayed
            // ACKs do not add 40 ms to each of the ten thousand requests.
            return new MockResponse.Builder().code(200).addHeader("x-backend", name).build();
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
    servers.add(server);
    return server;
  }

  /** Two instances of web on loopback: one with meta version=v1, one with version=v2. */
  private static String health(MockWebServer v1, MockWebServer v2) {
    return HealthJson.of(
        HealthJson.instance("web", "web-1", v1.getPort(), "v1"),
        HealthJson.instance("web", "web-2", v2.getPort(), "v2"));
  }

  private Mesh mesh(ConsulSource source) {
    mesh = Mesh.builder().source(source).listener(events).random(new SeededRandom(42)).build();
    return mesh;
  }

  private OkHttpClient client() {
    return MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  }

  private static String get(OkHttpClient client, Request request) throws IOException {
    try (Response r = client.newCall(request).execute()) {
      assertThat(r.code()).isEqualTo(200);
      return r.header("x-backend");
    }
  }

  /** Sends {@code total} GETs from 16 threads. */
  private static void getAll(OkHttpClient client, int total) throws Exception {
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      List<java.util.concurrent.Future<String>> results = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        Request request = new Request.Builder().url("http://web/items/" + i).build();
        results.add(pool.submit(() -> get(client, request)));
      }
      for (java.util.concurrent.Future<String> f : results) {
        assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS)).isNotNull();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aNinetyTenSplitterOverTwoSubsetsHoldsWithinTwoPercentOverTenThousandRequests()
      throws Exception {
    AtomicInteger v1Count = new AtomicInteger();
    AtomicInteger v2Count = new AtomicInteger();
    MockWebServer v1 = backend("v1", v1Count);
    MockWebServer v2 = backend("v2", v2Count);
    consul.set(WEB, health(v1, v2));
    consul.set(
        "/v1/config/service-splitter/web", fixture("authored/config-service-splitter-web.json"));
    consul.set(
        "/v1/config/service-resolver/web", fixture("authored/config-service-resolver-web.json"));
    mesh(ConsulSource.builder(consul.agent()).services("web").wait(Duration.ofSeconds(2)).build());
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> mesh.snapshot().routes(ServiceName.of("web")).size() == 1);
    OkHttpClient client = client();

    int total = 10_000;
    getAll(client, total);

    assertThat(v1Count.get() + v2Count.get()).isEqualTo(total);
    assertThat(v1Count.get() / (double) total).isBetween(0.88, 0.92);
    assertThat(v2Count.get() / (double) total).isBetween(0.08, 0.12);
  }

  @Test
  void aServiceRouterHeaderMatchSendsMatchingRequestsToItsDestination() throws Exception {
    AtomicInteger v1Count = new AtomicInteger();
    AtomicInteger v2Count = new AtomicInteger();
    MockWebServer v1 = backend("v1", v1Count);
    MockWebServer v2 = backend("v2", v2Count);
    consul.set(WEB, health(v1, v2));
    consul.set("/v1/config/service-router/web", fixture("authored/config-service-router-web.json"));
    consul.set(
        "/v1/config/service-resolver/web", fixture("authored/config-service-resolver-web.json"));
    mesh(ConsulSource.builder(consul.agent()).services("web").wait(Duration.ofSeconds(2)).build());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> mesh.snapshot().routes(ServiceName.of("web")).size() == 5);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> mesh.snapshot().endpoints(ServiceName.of("web")).size() == 2);
    OkHttpClient client = client();

    for (int i = 0; i < 100; i++) {
      // x-debug: 1 and no x-canary: the router's third route, to subset v2.
      assertThat(
              get(
                  client,
                  new Request.Builder().url("http://web/page").header("x-debug", "1").build()))
          .isEqualTo("v2");
      // No header: the default route, to the resolver's default subset v1.
      assertThat(get(client, new Request.Builder().url("http://web/page").build())).isEqualTo("v1");
      // x-canary present: the inverted match fails, so the default route again.
      assertThat(
              get(
                  client,
                  new Request.Builder()
                      .url("http://web/page")
                      .header("x-debug", "1")
                      .header("x-canary", "yes")
                      .build()))
          .isEqualTo("v1");
    }
    assertThat(v2Count.get()).isEqualTo(100);
    assertThat(v1Count.get()).isEqualTo(200);
  }

  @Test
  void withConsulDownNoRequestFailsForDiscoveryAndTheWatchResumesWhenItReturns() throws Exception {
    AtomicInteger aCount = new AtomicInteger();
    AtomicInteger bCount = new AtomicInteger();
    MockWebServer a = backend("a", aCount);
    MockWebServer b = backend("b", bCount);
    consul.set(WEB, health(a, b));
    ConsulSource source =
        ConsulSource.builder(consul.agent())
            .services("web")
            .wait(Duration.ofSeconds(2))
            .rateLimit(2, Duration.ofMillis(50))
            .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
            .build();
    mesh(source);
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    OkHttpClient client = client();

    consul.stop();
    await().atMost(Duration.ofSeconds(10)).until(() -> !events.events("sourceFailed").isEmpty());
    getAll(client, 500);
    assertThat(aCount.get() + bCount.get()).isEqualTo(500);
    assertThat(mesh.snapshot().endpoints(ServiceName.of("web"))).hasSize(2);

    consul.restart();
    consul.set(WEB, HealthJson.of(HealthJson.instance("web", "web-1", a.getPort(), "v1")));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                mesh.snapshot().endpoints(ServiceName.of("web")).stream()
                    .map(Endpoint::port)
                    .toList()
                    .equals(List.of(a.getPort())));
    assertThat(events.events("sourceRecovered")).isNotEmpty();
  }
}
