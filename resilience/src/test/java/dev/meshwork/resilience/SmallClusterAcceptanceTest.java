package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Mesh;
import dev.meshwork.okhttp.MeshIOException;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Acceptance: a two-endpoint cluster whose endpoints both fail every request, with both a
 * consecutive-failures breaker and outlier detection on each endpoint. Loopback servers; a fake
 * ticker each server moves 1 ms per request.
 */
class SmallClusterAcceptanceTest {

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();
  private final InMemorySource source = new InMemorySource();
  private final Servers servers = new Servers();
  private final AtomicInteger answered = new AtomicInteger();
  private Mesh mesh;

  @AfterEach
  void close() {
    servers.close();
    if (mesh != null) {
      mesh.close();
    }
  }

  private OkHttpClient client(boolean failOpen) {
    mesh =
        Mesh.builder()
            .source(source)
            .ticker(ticker)
            .scheduler(ticker.scheduler())
            .random(new SeededRandom(23))
            .listener(events)
            .failOpen(failOpen)
            .gates(
                EndpointGates.builder()
                    .consecutiveFailures(ConsecutiveFailures.defaults())
                    .outlierDetection(OutlierDetection.defaults())
                    .build())
            .build();
    MockWebServer a = servers.start(r -> failing());
    MockWebServer b = servers.start(r -> failing());
    source.endpoints("reviews", Servers.endpoint(a), Servers.endpoint(b));
    return MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  }

  private mockwebserver3.MockResponse failing() {
    answered.incrementAndGet();
    ticker.advance(Duration.ofMillis(1));
    return Servers.status(500);
  }

  private static Request get() {
    return new Request.Builder().url("http://reviews/").build();
  }

  @Test
  void neitherEndpointIsEjectedBeyondTheGuardAndEveryRequestIsAnsweredByTheLeastBad()
      throws IOException {
    OkHttpClient client = client(true);
    int maxEjected = 0;
    Set<String> breakersOpened = new HashSet<>();

    for (int i = 0; i < 1000; i++) {
      try (Response r = client.newCall(get()).execute()) {
        assertThat(r.code()).isEqualTo(500);
      }
      maxEjected = Math.max(maxEjected, outlierEjectedNow());
    }

    for (String e : events.events("gateStateChanged")) {
      if (e.contains("ADMITTING -> REJECTING (consecutive failures")) {
        breakersOpened.add(e.split(" ")[2]);
      }
    }
    System.out.printf(
        "small cluster acceptance: 1000 of 1000 requests answered by a server, %d failed open,"
            + " at most %d endpoint ejected by outlier detection, breakers opened on %s%n",
        events.events("failedOpen").size(), maxEjected, breakersOpened);
    assertThat(answered).hasValue(1000);
    assertThat(maxEjected).isEqualTo(1);
    // One endpoint is ejected (the guard keeps the other in) and the other's breaker opens: with
    // both refusing, the mesh fails open and sends to the least bad one rather than failing.
    assertThat(breakersOpened).isNotEmpty();
    assertThat(events.events("failedOpen")).isNotEmpty();
  }

  @Test
  void withoutFailingOpenTheCallFailsFastNamingTheRejectingEndpoints() throws IOException {
    OkHttpClient client = client(false);
    for (int i = 0; i < 40; i++) {
      try (Response r = client.newCall(get()).execute()) {
        assertThat(r.code()).isEqualTo(500);
      } catch (MeshIOException e) {
        break;
      }
    }

    assertThatThrownBy(() -> client.newCall(get()).execute())
        .isInstanceOf(MeshIOException.class)
        .hasMessage("no healthy endpoints for reviews.default (2 known, 2 ejected)");
    assertThat(outlierEjectedNow()).isEqualTo(1);
  }

  /** Endpoints ejected by outlier detection now, from the listener's events. */
  private int outlierEjectedNow() {
    int n = 0;
    for (String e : events.events("gateStateChanged")) {
      if (e.contains("(outlier detection")) {
        n += e.contains("-> REJECTING") ? 1 : -1;
      }
    }
    return n;
  }
}
