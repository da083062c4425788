package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Mesh;
import dev.meshwork.Ticker;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.InMemorySource;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Acceptance: hedging with 1 % extra load against an endpoint where 1 % of requests stall for 200
 * ms. A loopback server stalls every 100th request it receives (a 1 % chance made deterministic, so
 * the test does not hang on a seed); the same 2 000 calls run without and with hedging, each
 * against a fresh server. Latencies are measured per call on the system ticker, in real time: this
 * checks what hedging does to the tail, not how fast anything is.
 *
 * <p>p99 is the latency at least 1 % of calls reach (the value at index {@code floor(0.99 n)} of
 * the sorted latencies), so 1 % of stalled calls show in it. The hedging policy places backups at
 * the smallest latency that 99 % of its samples do not exceed, as Finagle's histogram does; as it
 * also records how long superseded originals ran (as Finagle), with stalls taking up the whole 1 %
 * the backup delay settles near the slowest ordinary call. So the hedged p99 is about the slowest
 * ordinary call plus a backup's round trip: the five-fold cut holds while ordinary calls on
 * loopback stay under 40 ms, which a machine running several builds at once can break.
 */
class HedgingAcceptanceTest {

  private static final int CALLS = 2000;
  private static final int WARM_UP = 300;

  private final Servers servers = new Servers();
  private @Nullable Mesh mesh;

  @AfterEach
  void close() {
    servers.close();
    if (mesh != null) {
      mesh.close();
    }
  }

  /** Per-call latencies and requests the server saw, for one arm. */
  record Run(long[] sortedLatencies, int serverRequests, int calls) {
    long p99() {
      return sortedLatencies[(int) Math.floor(0.99 * sortedLatencies.length)];
    }

    long p50() {
      return sortedLatencies[sortedLatencies.length / 2];
    }
  }

  @Test
  void backupsAtTheP99CutTheTailAtLeastFiveFoldWithinOnePercentExtraLoad() throws IOException {
    Run plain = run(null, WARM_UP);
    Hedging hedging =
        Hedging.builder()
            .maxExtraLoad(0.01)
            .window(Duration.ofSeconds(60), Duration.ofMillis(100))
            .build();
    Run hedged = run(hedging, WARM_UP);

    int extra = hedged.serverRequests() - hedged.calls();
    System.out.printf(
        "hedging acceptance: p50 %.2f ms / %.2f ms; p99 without hedging %.1f ms, with hedging"
            + " %.1f ms (%.1f x lower); %d extra requests for %d calls (%.2f %%); backup delay"
            + " %.2f ms%n",
        plain.p50() / 1e6,
        hedged.p50() / 1e6,
        plain.p99() / 1e6,
        hedged.p99() / 1e6,
        (double) plain.p99() / hedged.p99(),
        extra,
        hedged.calls(),
        100.0 * extra / hedged.calls(),
        hedging.currentDelayNanos(dev.meshwork.ServiceName.of("reviews")) / 1e6);
    assertThat(plain.p99()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    assertThat(plain.p99()).isGreaterThanOrEqualTo(5 * hedged.p99());
    // The policy's own budget has no reserve: at most 1 % of calls get a backup.
    assertThat(extra).isPositive().isLessThanOrEqualTo(hedged.calls() / 100);
  }

  private Run run(@Nullable Hedging hedging, int warmUp) throws IOException {
    AtomicInteger requests = new AtomicInteger();
    MockWebServer server =
        servers.start(
            r ->
                requests.incrementAndGet() % 100 == 0
                    ? new MockResponse.Builder().headersDelay(200, TimeUnit.MILLISECONDS).build()
                    : Servers.status(200));
    InMemorySource source = new InMemorySource();
    Mesh.Builder b = Mesh.builder().source(source);
    if (hedging != null) {
      b.hedging(hedging);
    }
    if (mesh != null) {
      mesh.close();
    }
    Mesh m = b.build();
    mesh = m;
    source.endpoints("reviews", Servers.endpoint(server));
    OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), m).build();
    Ticker ticker = m.ticker();
    Request get = new Request.Builder().url("http://reviews/").build();
    long[] latencies = new long[CALLS];
    for (int i = 0; i < warmUp + CALLS; i++) {
      long start = ticker.nanoTime();
      try (Response r = client.newCall(get).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
      if (i >= warmUp) {
        latencies[i - warmUp] = ticker.nanoTime() - start;
      }
    }
    Arrays.sort(latencies);
    return new Run(latencies, requests.get(), warmUp + CALLS);
  }
}
