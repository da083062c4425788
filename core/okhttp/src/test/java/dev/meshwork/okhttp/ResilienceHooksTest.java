package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.ConcurrencyLimit;
import dev.meshwork.Fault;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.ResponseClass;
import dev.meshwork.RetryDecision;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the OkHttp adapter carries out hedged backups, injected faults and concurrency limits. */
class ResilienceHooksTest {

  private final Backends backends = new Backends();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger requests = new AtomicInteger();
  private Mesh mesh;

  @AfterEach
  void close() {
    release.countDown();
    backends.close();
    if (mesh != null) {
      mesh.close();
    }
  }

  private OkHttpClient client(Mesh.Builder builder) {
    mesh = builder.source(source).listener(events).build();
    return MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  }

  /** Two servers; the requests numbered in {@code stalled} (1-based, over both) hang. */
  private void servers(int... stalled) throws IOException {
    MockWebServer[] s = new MockWebServer[2];
    for (int i = 0; i < 2; i++) {
      String name = "server" + i;
      s[i] =
          backends.start(
              r -> {
                int n = requests.incrementAndGet();
                for (int x : stalled) {
                  if (x == n) {
                    release.await(10, TimeUnit.SECONDS);
                  }
                }
                return new MockResponse.Builder().body(name).build();
              });
    }
    source.endpoints("reviews", Backends.endpoint(s[0]), Backends.endpoint(s[1]));
  }

  private static Request get() {
    return new Request.Builder().url("http://reviews/").build();
  }

  @Test
  void aStalledAttemptLosesToItsBackupWhichAnswers() throws Exception {
    OkHttpClient client = client(Mesh.builder().hedging(call -> 20_000_000L));
    servers(1);

    try (Response r = client.newCall(get()).execute()) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.request().url().toString()).isEqualTo("http://reviews/");
    }

    assertThat(requests).hasValue(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.attempts().size() == 2);
    List<Attempt> attempts = events.attempts();
    assertThat(attempts)
        .extracting(Attempt::result)
        .containsExactlyInAnyOrder(ResponseClass.SUCCESS, ResponseClass.IGNORED);
    assertThat(attempts).filteredOn(Attempt::isBackup).hasSize(1);
    assertThat(events.calls()).singleElement().returns(RetryDecision.COMPLETE, c -> c.decision());
  }

  @Test
  void anEligibleCallWhoseFirstAttemptAnswersInTimeSendsNoBackup() throws Exception {
    OkHttpClient client = client(Mesh.builder().hedging(call -> 10_000_000_000L));
    servers();

    for (int i = 0; i < 5; i++) {
      try (Response r = client.newCall(get()).execute()) {
        assertThat(r.body().string()).startsWith("server");
      }
    }

    assertThat(requests).hasValue(5);
    assertThat(events.attempts()).extracting(Attempt::result).containsOnly(ResponseClass.SUCCESS);
  }

  @Test
  void cancellingTheApplicationsCallCancelsBothAttempts() throws Exception {
    OkHttpClient client = client(Mesh.builder().hedging(call -> 1_000_000L));
    servers(1, 2);
    Call call = client.newCall(get());
    CompletableFuture<Object> outcome =
        CompletableFuture.supplyAsync(
            () -> {
              try (Response r = call.execute()) {
                return r.code();
              } catch (IOException e) {
                return e;
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> requests.get() == 2);

    call.cancel();

    assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.attempts().size() == 2);
    assertThat(events.attempts()).extracting(Attempt::result).containsOnly(ResponseClass.IGNORED);
  }

  @Test
  void anAbortedAttemptAnswersTheInjectedStatusWithoutReachingTheServer() throws Exception {
    OkHttpClient client = client(Mesh.builder());
    servers();
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(
                        Route.builder()
                            .backends(Backend.of("reviews", 1))
                            .fault(Fault.builder().abort(503, 100).build())
                            .build())
                    .build())
            .build());

    try (Response r = client.newCall(get()).execute()) {
      assertThat(r.code()).isEqualTo(503);
      assertThat(r.header(InjectedFaults.HEADER)).isEqualTo("abort");
    }

    assertThat(requests).hasValue(0);
    assertThat(events.calls()).singleElement().returns(RetryDecision.COMPLETE, c -> c.decision());
    assertThat(events.attempts()).singleElement().returns(503, Attempt::httpStatus);
  }

  @Test
  void aDelayedAttemptWaitsOnTheMeshsTickerBeforeItIsSent() throws Exception {
    FakeTicker ticker = new FakeTicker();
    OkHttpClient client = client(Mesh.builder().ticker(ticker).faultHeader(true));
    servers();
    long before = ticker.nanoTime();

    Request request = get().newBuilder().header(Fault.HEADER, "delay=250ms").build();
    try (Response r = client.newCall(request).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }

    assertThat(ticker.nanoTime() - before).isGreaterThanOrEqualTo(250_000_000L);
    assertThat(events.attempts())
        .singleElement()
        .returns(250_000_000L, a -> a.injectedDelayNanos());
  }

  @Test
  void aCallOverTheConcurrencyLimitFailsFastWithATypedError() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    OkHttpClient client =
        client(Mesh.builder().concurrencyLimits((service, m) -> new OneCall(inFlight)));
    servers(1);
    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(
            () -> {
              try (Response r = client.newCall(get()).execute()) {
                return r.code();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> requests.get() == 1);

    assertThatThrownBy(() -> client.newCall(get()).execute())
        .isInstanceOf(MeshConcurrencyLimitException.class)
        .hasMessage("concurrency limit of 1 calls to reviews.default reached")
        .satisfies(e -> assertThat(((MeshConcurrencyLimitException) e).limit()).isEqualTo(1));

    release.countDown();
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(200);
    assertThat(inFlight).hasValue(0);
  }

  /** A limit of one call in flight. */
  private static final class OneCall implements ConcurrencyLimit {
    private final AtomicInteger inFlight;

    OneCall(AtomicInteger inFlight) {
      this.inFlight = inFlight;
    }

    @Override
    public boolean tryAcquire() {
      return inFlight.compareAndSet(0, 1);
    }

    @Override
    public void release(ResponseClass result, long rttNanos) {
      inFlight.set(0);
    }

    @Override
    public int limit() {
      return 1;
    }

    @Override
    public int inFlight() {
      return inFlight.get();
    }
  }
}
