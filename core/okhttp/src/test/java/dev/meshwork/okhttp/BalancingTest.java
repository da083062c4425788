package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meshwork.Backend;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.SeededRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BalancingTest {

  private final Backends backends = new Backends();
  private final InMemorySource source = new InMemorySource();
  private final Mesh mesh = Mesh.builder().source(source).random(new SeededRandom(11)).build();
  private final OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  private final Map<Integer, Integer> served = new ConcurrentHashMap<>();

  @AfterEach
  void close() {
    backends.close();
    mesh.close();
  }

  private MockWebServer server(long delayMillis) throws Exception {
    MockWebServer[] self = new MockWebServer[1];
    self[0] =
        backends.start(
            r -> {
              served.merge(self[0].getPort(), 1, Integer::sum);
              return new MockResponse.Builder()
                  .headersDelay(delayMillis, TimeUnit.MILLISECONDS)
                  .build();
            });
    return self[0];
  }

  private void send(String url, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
  }

  @Test
  void anEndpointFiftyMillisecondsSlowerGetsUnderTenPercentOfRequests() throws Exception {
    MockWebServer fast1 = server(0);
    MockWebServer slow = server(50);
    MockWebServer fast2 = server(0);
    source.endpoints(
        "reviews", Backends.endpoint(fast1), Backends.endpoint(slow), Backends.endpoint(fast2));
    send("http://reviews/", 2_000);
    assertThat(served.getOrDefault(slow.getPort(), 0)).isLessThan(200);
    assertThat(served.get(fast1.getPort()) + served.get(fast2.getPort())).isGreaterThan(1_800);
  }

  @Test
  void aNinetyTenSplitHoldsOnRealBackends() throws Exception {
    MockWebServer v1 = server(0);
    MockWebServer v2 = server(0);
    source.endpoints("reviews-v1", Backends.endpoint(v1));
    source.endpoints("reviews-v2", Backends.endpoint(v2));
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(Route.to(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
                    .build())
            .build());
    send("http://reviews/", 2_000);
    assertThat(served.get(v2.getPort()) / 2_000.0).isCloseTo(0.10, within(0.02));
  }
}
