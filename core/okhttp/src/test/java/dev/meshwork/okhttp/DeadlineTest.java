package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.Deadline;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshContext;
import dev.meshwork.RetryDecision;
import dev.meshwork.RetryPolicy;
import dev.meshwork.ServiceConfig;
import dev.meshwork.Ticker;
import dev.meshwork.TimeoutHeader;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeadlineTest {

  private final Backends backends = new Backends();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().source(source).listener(events).build();
  private final OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
  private final ConcurrentLinkedQueue<RecordedRequest> seen = new ConcurrentLinkedQueue<>();

  @AfterEach
  void close() {
    backends.close();
    mesh.close();
  }

  private void timeout(String service, Duration timeout, RetryPolicy retries) {
    source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder(service).timeout(timeout).retryPolicy(retries).build())
            .build());
  }

  @Test
  void noAttemptStartsAfterTheDeadlineAndTheHeaderShrinks() throws Exception {
    MockWebServer slow503 =
        backends.start(
            r -> {
              seen.add(r);
              return new MockResponse.Builder()
                  .code(503)
                  .headersDelay(100, TimeUnit.MILLISECONDS)
                  .build();
            });
    source.endpoints("reviews", Backends.endpoint(slow503), Backends.endpoint(slow503));
    timeout(
        "reviews",
        Duration.ofMillis(1_000),
        RetryPolicy.builder().maxAttempts(100).backoff(Duration.ZERO, Duration.ZERO).build());

    // Either the attempt in flight runs out of time (an exception), or a 503 arrives just as the
    // deadline passes and is returned as it is; either way the call ends on its deadline.
    try (Response r =
        client.newCall(new Request.Builder().url("http://reviews/").build()).execute()) {
      assertThat(r.code()).isEqualTo(503);
    } catch (MeshDeadlineExceededException e) {
      assertThat(e)
          .isInstanceOf(java.io.InterruptedIOException.class)
          .hasMessageStartingWith("deadline of 1000 ms for reviews.default exceeded after ");
    }
    MeshCall call = events.calls().get(0);
    assertThat(call.decision()).isEqualTo(RetryDecision.DEADLINE_EXCEEDED);
    List<Long> sent = new ArrayList<>();
    for (RecordedRequest r : seen) {
      sent.add(TimeoutHeader.decodeNanos(r.getHeaders().get(TimeoutHeader.NAME)));
    }
    assertThat(sent).hasSizeGreaterThanOrEqualTo(2);
    assertThat(sent.get(0)).isLessThanOrEqualTo(1_000_000_000L);
    for (int i = 1; i < sent.size(); i++) {
      assertThat(sent.get(i)).isLessThan(sent.get(i - 1));
    }
    for (Attempt a : events.attempts()) {
      assertThat(a.startNanos() - call.startNanos()).isLessThan(1_000_000_000L);
    }
  }

  @Test
  void theCallersContextDeadlineTravelsWithTheRequest() throws Exception {
    MockWebServer server = backends.start(200, seen);
    source.endpoints("ratings", Backends.endpoint(server));
    MeshContext ctx =
        MeshContext.root().withDeadline(Deadline.after(Duration.ofMillis(200), Ticker.system()));
    try (MeshContext.Scope ignored = ctx.makeCurrent();
        Response r =
            client.newCall(new Request.Builder().url("http://ratings/").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    long sent = TimeoutHeader.decodeNanos(seen.poll().getHeaders().get(TimeoutHeader.NAME));
    assertThat(sent).isBetween(1L, 200_000_000L);
  }

  @Test
  void withoutADeadlineNoHeaderIsSent() throws IOException {
    MockWebServer server = backends.start(200, seen);
    source.endpoints("ratings", Backends.endpoint(server));
    client.newCall(new Request.Builder().url("http://ratings/").build()).execute().close();
    assertThat(seen.poll().getHeaders().get(TimeoutHeader.NAME)).isNull();
  }
}
