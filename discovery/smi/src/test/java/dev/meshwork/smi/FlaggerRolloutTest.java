package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Backend;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A canary rollout as Flagger drives it with SMI (provider linkerd writes TrafficSplit v1alpha1):
 * the canary's weight goes 0, 10, … 50, then the canary is promoted and the primary takes
 * everything. Real loopback backends, a mesh-enabled OkHttp client, config from watched files.
 */
class FlaggerRolloutTest {

  private static final int REQUESTS_PER_STEP = 2000;

  @TempDir Path dir;
  private final MockWebServer primary = new MockWebServer();
  private final MockWebServer canary = new MockWebServer();
  private final RecordingListener events = new RecordingListener();
  private Mesh mesh;
  private OkHttpClient client;

  @BeforeEach
  void start() throws Exception {
    primary.setDispatcher(answer("primary"));
    canary.setDispatcher(answer("canary"));
    primary.setServerSocketFactory(new NoDelayServerSockets());
    canary.setServerSocketFactory(new NoDelayServerSockets());
    primary.start(InetAddress.getLoopbackAddress(), 0);
    canary.start(InetAddress.getLoopbackAddress(), 0);
    Files.createDirectory(dir.resolve("mesh"));
    Files.writeString(
        dir.resolve("endpoints.yaml"),
        """
        podinfo.test: ["127.0.0.1:%1$d"]
        podinfo-primary.test: ["127.0.0.1:%1$d"]
        podinfo-canary.test: ["127.0.0.1:%2$d"]
        """
            .formatted(primary.getPort(), canary.getPort()));
    split(100, 0);
    mesh =
        Mesh.builder()
            .listener(events)
            .random(new SeededRandom(20261128))
            .source(
                SmiFileSource.builder(dir.resolve("mesh"))
                    .rescanInterval(Duration.ofMillis(200))
                    .build())
            .source(EndpointsFileSource.watching(dir.resolve("endpoints.yaml")))
            .build();
    assertThat(mesh.awaitReady(Duration.ofSeconds(5))).isTrue();
    client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  }

  @AfterEach
  void stop() {
    mesh.close();
    primary.close();
    canary.close();
    client.connectionPool().evictAll();
  }

  private static Dispatcher answer(String body) {
    return new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return new MockResponse.Builder().body(body).build();
      }
    };
  }

  /** Writes the TrafficSplit as Flagger's Linkerd router does, replacing the file atomically. */
  private void split(int primaryWeight, int canaryWeight) throws Exception {
    String text =
        """
        apiVersion: split.smi-spec.io/v1alpha1
        kind: TrafficSplit
        metadata:
          name: podinfo
          namespace: test
        spec:
          service: podinfo.test.svc.cluster.local
          backends:
          - service: podinfo-primary
            weight: %d
          - service: podinfo-canary
            weight: %d
        """
            .formatted(primaryWeight, canaryWeight);
    Path tmp = dir.resolve("split.tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, dir.resolve("mesh/podinfo.yaml"), StandardCopyOption.ATOMIC_MOVE);
  }

  private List<Integer> weights() {
    ServiceConfig c = mesh.snapshot().serviceConfig(ServiceName.of("podinfo", "test"));
    return c == null
        ? List.of()
        : c.routes().get(0).backends().stream().map(Backend::weight).toList();
  }

  /** Sends requests to the apex and returns the canary's share; every request must succeed. */
  private double canaryShare() throws Exception {
    int toCanary = 0;
    for (int i = 0; i < REQUESTS_PER_STEP; i++) {
      Request request = new Request.Builder().url("http://podinfo.test/api/info").build();
      try (Response response = client.newCall(request).execute()) {
        assertThat(response.code()).isEqualTo(200);
        String body = response.body().string();
        assertThat(body).isIn("primary", "canary");
        if (body.equals("canary")) {
          toCanary++;
        }
      }
    }
    return (double) toCanary / REQUESTS_PER_STEP;
  }

  @Test
  void eachRolloutStepMovesTheObservedShareWithinThreePercentWithoutAFailedRequest()
      throws Exception {
    assertThat(canaryShare()).isZero();
    for (int step = 10; step <= 50; step += 10) {
      split(100 - step, step);
      List<Integer> expected = List.of(100 - step, step);
      await().atMost(Duration.ofSeconds(5)).until(() -> weights().equals(expected));
      assertThat(canaryShare())
          .as("canary share at %d%%", step)
          .isCloseTo(step / 100.0, within(0.03));
    }
    // Promotion: the primary runs the canary's version now and takes all traffic again.
    split(100, 0);
    await().atMost(Duration.ofSeconds(5)).until(() -> weights().equals(List.of(100, 0)));
    assertThat(canaryShare()).isZero();
    assertThat(events.rejected()).isEmpty();
    assertThat(primary.getRequestCount() + canary.getRequestCount())
        .isEqualTo(7 * REQUESTS_PER_STEP);
  }
}
