package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.ConcurrencyLimit;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshListener;
import dev.meshwork.ServiceName;
import dev.meshwork.okhttp.MeshConcurrencyLimitException;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.InMemorySource;
import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The adaptive limit on loopback: a server whose latency grows with the requests it holds (5 ms,
 * times in-flight / 4 beyond four), offered twice what it serves, open loop, through OkHttp's
 * dispatcher. A smaller, real-time companion of {@link AdaptiveLimitSimulationTest}: it checks the
 * wiring (rejections are fast, typed, and the limit moves) and prints what it measured; the control
 * loop's numbers are asserted in the deterministic simulation.
 */
class AdaptiveLimitLoopbackTest {

  private static final int WORKERS = 4;
  private static final long BASE_MS = 5;

  private final Servers servers = new Servers();
  private final InMemorySource source = new InMemorySource();
  private final AtomicInteger serverInFlight = new AtomicInteger();
  private final ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
  private Mesh mesh;

  @AfterEach
  void close() {
    load.shutdownNow();
    servers.close();
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void excessCallsToAnOverloadedDestinationAreRejectedAtOnceWithATypedError() throws Exception {
    mesh =
        Mesh.builder()
            .source(source)
            .concurrencyLimits(ConcurrencyLimits.adaptive().initialLimit(20).build())
            .listener(
                new MeshListener() {
                  @Override
                  public void attemptEnded(MeshCall call, Attempt attempt) {
                    serverInFlight.decrementAndGet();
                  }
                })
            .build();
    MockWebServer server =
        servers.start(
            r -> {
              int n = serverInFlight.incrementAndGet();
              long delay = BASE_MS * Math.max(WORKERS, n) / WORKERS;
              return new MockResponse.Builder().headersDelay(delay, TimeUnit.MILLISECONDS).build();
            });
    source.endpoints("reviews", Servers.endpoint(server));
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(256);
    dispatcher.setMaxRequestsPerHost(256);
    OkHttpClient client =
        MeshOkHttp.install(new OkHttpClient.Builder().dispatcher(dispatcher), mesh).build();

    int offered = 2400; // 1 600 per second for 1.5 s: twice what four workers at 5 ms serve
    CountDownLatch done = new CountDownLatch(offered);
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<IOException> rejections = new ConcurrentLinkedQueue<>();
    AtomicInteger sent = new AtomicInteger();
    Request get = new Request.Builder().url("http://reviews/").build();
    load.scheduleAtFixedRate(
        () -> {
          int seq = sent.incrementAndGet();
          if (seq > offered) {
            return;
          }
          long start = System.nanoTime();
          client
              .newCall(get)
              .enqueue(
                  new Callback() {
                    @Override
                    public void onResponse(Call call, Response response) {
                      response.close();
                      if (seq > offered / 4) { // the first quarter warms up connections and JIT
                        latencies.add(System.nanoTime() - start);
                      }
                      done.countDown();
                    }

                    @Override
                    public void onFailure(Call call, IOException e) {
                      rejections.add(e);
                      done.countDown();
                    }
                  });
        },
        0,
        625,
        TimeUnit.MICROSECONDS);

    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    ConcurrencyLimit limit = mesh.concurrencyLimit(ServiceName.of("reviews"));
    long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf(
        "adaptive limit loopback: %d served (%d measured), %d rejected, final limit %d; served p50"
            + " %.1f ms, p99 %.1f ms (unloaded %d ms)%n",
        offered - rejections.size(),
        l.length,
        rejections.size(),
        limit.limit(),
        l[l.length / 2] / 1e6,
        l[(int) Math.floor(0.99 * l.length)] / 1e6,
        BASE_MS);
    assertThat(rejections).isNotEmpty();
    assertThat(rejections)
        .allSatisfy(
            e ->
                assertThat(e)
                    .isInstanceOf(MeshConcurrencyLimitException.class)
                    .hasMessageStartingWith("concurrency limit of ")
                    .hasMessageEndingWith(" calls to reviews.default reached"));
    assertThat(l).isNotEmpty();
    assertThat(limit.inFlight()).isZero(); // every permit came back
  }
}
