package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Balancer;
import dev.meshwork.Mesh;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Acceptance: one endpoint of three failing every request (HTTP 500, which the default policy does
 * not retry, so every failure reaches the breaker). Three loopback servers; the mesh runs on a fake
 * ticker that each server moves 1 ms per request, so the run is a deterministic 1 000 requests per
 * second of mesh time whatever the machine's speed.
 */
class BreakerAcceptanceTest {

  private static final Pattern PENALTY = Pattern.compile("out for (\\d+) ms");

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();
  private final InMemorySource source = new InMemorySource();
  private final Servers servers = new Servers();
  private final AtomicBoolean broken = new AtomicBoolean(true);
  private final AtomicInteger[] seen = {
    new AtomicInteger(), new AtomicInteger(), new AtomicInteger()
  };
  private final Mesh mesh =
      Mesh.builder()
          .source(source)
          .ticker(ticker)
          .scheduler(ticker.scheduler())
          .random(new SeededRandom(17))
          .listener(events)
          .gates(EndpointGates.defaults())
          // Round robin, so that the breaker alone keeps traffic away: peak-EWMA would already
          // shun an endpoint that fails, as failures count as slow.
          .balancer(Balancer.roundRobin())
          .build();
  private final OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();

  @AfterEach
  void close() {
    servers.close();
    mesh.close();
  }

  private void start() {
    MockWebServer[] s = new MockWebServer[3];
    for (int i = 0; i < 3; i++) {
      int n = i;
      s[i] =
          servers.start(
              r -> {
                seen[n].incrementAndGet();
                ticker.advance(Duration.ofMillis(1));
                return Servers.status(n == 0 && broken.get() ? 500 : 200);
              });
    }
    source.endpoints(
        "reviews", Servers.endpoint(s[0]), Servers.endpoint(s[1]), Servers.endpoint(s[2]));
  }

  private void requests(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      try (Response r =
          client.newCall(new Request.Builder().url("http://reviews/").build()).execute()) {
        r.code();
      }
    }
  }

  private int total() {
    return seen[0].get() + seen[1].get() + seen[2].get();
  }

  @Test
  void aFailingEndpointGetsUnderOnePercentOnceItsBreakerOpensAndProbesBringItBack()
      throws IOException {
    start();
    requests(100);
    List<String> opened = events.events("gateStateChanged");
    assertThat(opened).singleElement().asString().contains("ADMITTING -> REJECTING");
    int failingAtOpen = seen[0].get();
    int totalAtOpen = total();

    requests(3000); // 3 s of mesh time: the breaker opens again after each failed probe

    int failingAfter = seen[0].get() - failingAtOpen;
    int totalAfter = total() - totalAtOpen;
    assertThat((double) failingAfter / totalAfter).isLessThan(0.01);
    assertThat(failingAfter).isPositive(); // the probes

    // The endpoint recovers: the probe at the end of the current penalty readmits it.
    broken.set(false);
    long recovered = ticker.nanoTime();
    long penaltyMs = lastPenaltyMs();
    while (events.events("gateStateChanged").stream().noneMatch(e -> e.contains("-> ADMITTING"))) {
      ticker.advance(Duration.ofMillis(9)); // quieter now: one request per 10 ms
      requests(1);
    }
    long back = (ticker.nanoTime() - recovered) / 1_000_000;
    assertThat(back).isLessThanOrEqualTo(penaltyMs + 10);
    int failingAtReadmission = seen[0].get();
    requests(1500);
    System.out.printf(
        "breaker acceptance: after opening %d of %d requests (%.2f %%) went to the failing"
            + " endpoint; readmitted %d ms after recovery (penalty in force %d ms); then %d of 1500"
            + " requests%n",
        failingAfter,
        totalAfter,
        100.0 * failingAfter / totalAfter,
        back,
        penaltyMs,
        seen[0].get() - failingAtReadmission);
    assertThat(seen[0].get() - failingAtReadmission).isBetween(450, 550);
  }

  private long lastPenaltyMs() {
    long ms = -1;
    for (String e : events.events("gateStateChanged")) {
      Matcher m = PENALTY.matcher(e);
      if (m.find()) {
        ms = Long.parseLong(m.group(1));
      }
    }
    return ms;
  }
}
