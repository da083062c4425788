package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.RetryDecision;
import dev.meshwork.RetryPolicy;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RetryTest {

  private final Backends backends = new Backends();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  // Time stands still: retry backoff is instant and budget windows do not expire mid-test.
  private final FakeTicker ticker = new FakeTicker();
  private final Mesh mesh = Mesh.builder().source(source).listener(events).ticker(ticker).build();
  private final OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  private final ConcurrentLinkedQueue<RecordedRequest> seen = new ConcurrentLinkedQueue<>();

  @AfterEach
  void close() {
    backends.close();
    mesh.close();
  }

  private Response call(String method, RequestBody body) throws IOException {
    return client
        .newCall(new Request.Builder().url("http://orders/o/1").method(method, body).build())
        .execute();
  }

  private static RequestBody json() {
    return RequestBody.create("{}", MediaType.get("application/json"));
  }

  @Test
  void aGetThatGot503IsRetriedOnAnotherEndpoint() throws Exception {
    MockWebServer failing = backends.start(503, seen);
    MockWebServer healthy = backends.start(200, seen);
    source.endpoints("orders", Backends.endpoint(failing), Backends.endpoint(healthy));
    for (int i = 0; i < 20; i++) {
      try (Response r = call("GET", null)) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    assertThat(events.calls()).allMatch(c -> c.decision() == RetryDecision.COMPLETE);
  }

  @Test
  void aPostThatReachedTheServerAndGot503IsNotRetried() throws Exception {
    MockWebServer failing = backends.start(503, seen);
    source.endpoints("orders", Backends.endpoint(failing), Backends.endpoint(failing));
    try (Response r = call("POST", json())) {
      assertThat(r.code()).isEqualTo(503);
    }
    assertThat(seen).hasSize(1);
    assertThat(events.calls().get(0).decision()).isEqualTo(RetryDecision.UNSAFE_TO_RETRY);
  }

  @Test
  void aPostThatCouldNotConnectIsRetriedElsewhere() throws Exception {
    MockWebServer healthy = backends.start(200, seen);
    source.endpoints("orders", Backends.refusing(), Backends.endpoint(healthy));
    for (int i = 0; i < 10; i++) {
      try (Response r = call("POST", json())) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    assertThat(seen).hasSize(10);
  }

  @Test
  void aOneShotBodyIsNotReplayedEvenForAnIdempotentMethod() throws Exception {
    MockWebServer failing = backends.start(503, seen);
    source.endpoints("orders", Backends.endpoint(failing));
    RequestBody oneShot =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return MediaType.get("text/plain");
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.writeUtf8("streamed");
          }

          @Override
          public boolean isOneShot() {
            return true;
          }
        };
    try (Response r = call("PUT", oneShot)) {
      assertThat(r.code()).isEqualTo(503);
    }
    assertThat(seen).hasSize(1);
  }

  @Test
  void retriesStayWithinTheBudgetWhenEveryAttemptFails() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    MockWebServer failing =
        backends.start(
            r -> {
              attempts.incrementAndGet();
              return new MockResponse.Builder().code(503).build();
            });
    source.endpoints("orders", Backends.endpoint(failing));
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("orders")
                    .retryPolicy(
                        RetryPolicy.builder()
                            .maxAttempts(50)
                            .backoff(Duration.ZERO, Duration.ZERO)
                            .build())
                    .build())
            .build());
    int requests = 500;
    for (int i = 0; i < requests; i++) {
      try (Response r = call("GET", null)) {
        assertThat(r.code()).isEqualTo(503);
      }
    }
    int reserve = 10 * 10; // minRetriesPerSecond × ttl seconds
    assertThat(attempts.get()).isLessThanOrEqualTo((int) (1.2 * requests) + reserve);
    assertThat(attempts.get()).isGreaterThan(requests); // retries did happen
    assertThat(events.calls().get(requests - 1).decision())
        .isEqualTo(RetryDecision.BUDGET_EXHAUSTED);
  }

  @Test
  void whenEveryEndpointRefusesTheErrorNamesTheStoppedRetries() throws Exception {
    Endpoint a = Backends.refusing();
    Endpoint b = Backends.refusing();
    source.endpoints("orders", a, b);
    assertThatThrownBy(() -> call("GET", null))
        .isInstanceOf(MeshIOException.class)
        .hasMessageStartingWith(
            "orders.default failed after 3 attempts (last failure: ConnectException")
        .hasCauseInstanceOf(java.net.ConnectException.class);
  }
}
