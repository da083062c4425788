package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Attempt;
import dev.meshwork.Balancer;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.RetryDecision;
import dev.meshwork.RetryPolicy;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Retries of gRPC calls through the mesh, over the in-process transport. */
class MeshGrpcRetryTest {

  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final InProcessMesh servers = new InProcessMesh();
  private Mesh mesh = Mesh.builder().source(source).listener(events).build();

  private final Endpoint a = Endpoint.of("10.0.0.1", 80);
  private final Endpoint b = Endpoint.of("10.0.0.2", 80);

  @AfterEach
  void tearDown() throws InterruptedException {
    servers.close();
    mesh.close();
  }

  private void retryPolicy(RetryPolicy policy) {
    source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder("reviews").retryPolicy(policy).build())
            .build());
  }

  private static RetryPolicy fastRetries(int attempts) {
    return RetryPolicy.builder()
        .maxAttempts(attempts)
        .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
        .build();
  }

  private static String say(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(
        channel, Echo.SAY, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "hi");
  }

  private static Status statusOf(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
    throw new AssertionError("call succeeded");
  }

  @Test
  void anUnavailableAttemptIsRetriedOnAnotherEndpoint() {
    mesh.close();
    // Round robin, so that the broken endpoint keeps getting first attempts.
    mesh = Mesh.builder().source(source).listener(events).balancer(Balancer.roundRobin()).build();
    retryPolicy(fastRetries(3));
    Echo broken = servers.serve(a, "a");
    broken.behaviour = Echo.failing(Status.UNAVAILABLE, null);
    servers.serve(b, "b");
    source.endpoints("reviews", a, b);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    for (int i = 0; i < 20; i++) {
      assertThat(say(channel)).isEqualTo("b");
    }

    assertThat(broken.calls.get()).isPositive();
    assertThat(events.attempts()).hasSize(20 + broken.calls.get());
    assertThat(events.events("attemptEnded"))
        .anyMatch(e -> e.contains("10.0.0.1:80 RETRYABLE_FAILURE UNAVAILABLE"));
    assertThat(events.calls()).allMatch(c -> c.decision() == RetryDecision.COMPLETE);
  }

  @Test
  void aNonRetryableStatusIsNotRetried() {
    retryPolicy(fastRetries(3));
    Echo broken = servers.serve(a, "a");
    broken.behaviour = Echo.failing(Status.INTERNAL.withDescription("bug"), null);
    source.endpoints("reviews", a);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    Status status = statusOf(() -> say(channel));

    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getDescription()).isEqualTo("bug");
    assertThat(broken.calls.get()).isEqualTo(1);
  }

  @Test
  void stoppedRetriesReportTheLastStatusWithTheReasonAppended() {
    retryPolicy(fastRetries(3));
    Echo broken = servers.serve(a, "a");
    broken.behaviour = Echo.failing(Status.UNAVAILABLE.withDescription("overloaded"), null);
    source.endpoints("reviews", a);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    Status status = statusOf(() -> say(channel));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription())
        .isEqualTo(
            "overloaded; reviews.default failed after 3 attempts (last failure: UNAVAILABLE)");
    assertThat(broken.calls.get()).isEqualTo(3);
  }

  @Test
  void anExhaustedBudgetStopsRetriesAndSaysSo() {
    mesh.close();
    mesh =
        Mesh.builder()
            .source(source)
            .listener(events)
            .retryBudget(Duration.ofSeconds(10), 0, 0.0)
            .build();
    retryPolicy(fastRetries(5));
    Echo broken = servers.serve(a, "a");
    broken.behaviour = Echo.failing(Status.UNAVAILABLE.withDescription("overloaded"), null);
    source.endpoints("reviews", a);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    Status status = statusOf(() -> say(channel));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription())
        .isEqualTo(
            "overloaded; retry budget for reviews.default exhausted (last failure: UNAVAILABLE)");
    assertThat(broken.calls.get()).isEqualTo(1);
  }

  @Test
  void aNegativePushbackForbidsTheRetry() {
    retryPolicy(fastRetries(3));
    Echo broken = servers.serve(a, "a");
    broken.behaviour = Echo.failing(Status.UNAVAILABLE, "-1");
    source.endpoints("reviews", a);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    assertThat(statusOf(() -> say(channel)).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(broken.calls.get()).isEqualTo(1);
  }

  @Test
  void aPositivePushbackIsUsedAsTheBackoff() {
    retryPolicy(fastRetries(2));
    Echo broken = servers.serve(a, "a");
    broken.behaviour = Echo.failing(Status.UNAVAILABLE, "40");
    source.endpoints("reviews", a);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    statusOf(() -> say(channel));

    List<Attempt> attempts = events.attempts();
    assertThat(attempts).hasSize(2);
    long firstEnded = attempts.get(0).startNanos() + attempts.get(0).latencyNanos();
    assertThat(attempts.get(1).startNanos() - firstEnded).isGreaterThanOrEqualTo(40_000_000L);
  }

  @Test
  void aServerStreamIsNotRetriedOnceAMessageWasDelivered() {
    retryPolicy(fastRetries(3));
    Echo echo = servers.serve(a, "a");
    source.endpoints("reviews", a);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    Iterator<String> stream =
        ClientCalls.blockingServerStreamingCall(channel, Echo.STREAM, CallOptions.DEFAULT, "hi");

    assertThat(stream.next()).isEqualTo("a");
    assertThatThrownBy(stream::next)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).isEqualTo("stream broke"));
    assertThat(echo.calls.get()).isEqualTo(1);
    assertThat(events.calls())
        .singleElement()
        .extracting(MeshCall::decision)
        .isEqualTo(RetryDecision.COMPLETE);
  }

  @Test
  void aClientStreamThatReachedTheServerIsNotRetried() throws Exception {
    retryPolicy(fastRetries(3));
    Echo echo = servers.serve(a, "a");
    source.endpoints("reviews", a);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    CompletableFuture<Status> closed = new CompletableFuture<>();
    StreamObserver<String> requests =
        io.grpc.stub.ClientCalls.asyncClientStreamingCall(
            channel.newCall(Echo.COLLECT, CallOptions.DEFAULT),
            new StreamObserver<String>() {
              @Override
              public void onNext(String value) {}

              @Override
              public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                closed.complete(Status.OK);
              }
            });
    requests.onNext("one");
    requests.onNext("two");
    requests.onCompleted();

    Status status = closed.get(5, TimeUnit.SECONDS);
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription())
        .endsWith(
            "not retried: it may have reached the server and is not safe to repeat"
                + " (last failure: UNAVAILABLE)");
    assertThat(echo.calls.get()).isEqualTo(1);
  }

  @Test
  void aClientStreamThatNeverReachedAServerIsRetriedWithItsMessages() throws Exception {
    retryPolicy(fastRetries(3));
    Echo echo = servers.serve(b, "b");
    echo.behaviour = (req, h, out) -> Echo.reply(out, "b");
    // 10.0.0.1 has no server: its attempt never reaches a transport.
    source.endpoints("reviews", a, b);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    List<Status> statuses = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      CompletableFuture<Status> closed = new CompletableFuture<>();
      StreamObserver<String> requests =
          io.grpc.stub.ClientCalls.asyncClientStreamingCall(
              channel.newCall(Echo.COLLECT, CallOptions.DEFAULT),
              new StreamObserver<String>() {
                @Override
                public void onNext(String value) {}

                @Override
                public void onError(Throwable t) {
                  closed.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                  closed.complete(Status.OK);
                }
              });
      requests.onNext("one");
      requests.onCompleted();
      statuses.add(closed.get(5, TimeUnit.SECONDS));
    }

    // Every call reached b (which fails collects with UNAVAILABLE after reading them all).
    assertThat(echo.calls.get()).isEqualTo(10);
    assertThat(statuses).allMatch(s -> s.getCode() == Status.Code.UNAVAILABLE);
  }
}
