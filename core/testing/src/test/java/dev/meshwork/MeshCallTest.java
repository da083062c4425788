package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MeshCallTest {

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh =
      Mesh.builder()
          .source(source)
          .listener(events)
          .ticker(ticker)
          .random(new SeededRandom(3))
          .build();

  private void endpoints(String service, int n) {
    Endpoint[] eps = new Endpoint[n];
    for (int i = 0; i < n; i++) {
      eps[i] = Endpoint.of("10.0.0." + (i + 1), 80);
    }
    source.endpoints(service, eps);
  }

  private void timeout(Duration timeout) {
    source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder("reviews").timeout(timeout).build())
            .build());
  }

  @Test
  void unknownHostsAreNotRouted() {
    assertThat(mesh.newCall("example.com", TestRequest.get("/"))).isNull();
  }

  @Test
  void aServiceWithNoEndpointsFailsFast() {
    timeout(Duration.ofSeconds(1));
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    assertThatThrownBy(call::startAttempt)
        .isInstanceOf(NoHealthyEndpointsException.class)
        .hasMessage("no healthy endpoints for reviews.default (0 known)");
    assertThat(events.events("callEnded")).containsExactly("callEnded reviews.default COMPLETE");
  }

  @Test
  void aGetThatGot503IsRetriedOnAnotherEndpoint() {
    endpoints("reviews", 3);
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt first = call.startAttempt();
    assertThat(call.completeHttp(first, 503)).isEqualTo(RetryDecision.RETRY);
    assertThat(call.backoffNanos()).isBetween(0L, 25_000_000L);
    Attempt second = call.startAttempt();
    assertThat(second.endpoint()).isNotEqualTo(first.endpoint());
    assertThat(second.isRetry()).isTrue();
    assertThat(call.completeHttp(second, 200)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(events.events())
        .containsSubsequence(
            "callStarted reviews.default reviews.default",
            "attemptStarted 1 " + first.endpoint().authority(),
            "attemptEnded 1 " + first.endpoint().authority() + " RETRYABLE_FAILURE 503",
            "attemptStarted 2 " + second.endpoint().authority(),
            "attemptEnded 2 " + second.endpoint().authority() + " SUCCESS 200",
            "callEnded reviews.default COMPLETE");
  }

  @Test
  void aPostThatReachedTheServerAndGot503IsNotRetried() {
    endpoints("reviews", 2);
    MeshCall call = mesh.newCall("reviews", TestRequest.post("/orders"));
    assertThat(call.completeHttp(call.startAttempt(), 503))
        .isEqualTo(RetryDecision.UNSAFE_TO_RETRY);
    assertThat(call.describe(RetryDecision.UNSAFE_TO_RETRY))
        .isEqualTo(
            "POST to reviews.default not retried: it may have reached the server and is not safe"
                + " to repeat (last failure: 503)");
  }

  @Test
  void aPostThatNeverReachedTheServerIsRetried() {
    endpoints("reviews", 2);
    MeshCall call = mesh.newCall("reviews", TestRequest.post("/orders"));
    assertThat(call.completeError(call.startAttempt(), new ConnectException("refused"), true))
        .isEqualTo(RetryDecision.RETRY);
  }

  @Test
  void aCommittedCallIsNotRetriedAndDoesNotSpendTheBudget() {
    endpoints("reviews", 2);
    RetryBudget budget = mesh.retryBudget(ServiceName.of("reviews"));
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt attempt = call.startAttempt();
    long before = budget.balance();

    call.commit();

    assertThat(call.isCommitted()).isTrue();
    assertThat(call.completeHttp(attempt, 503)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(budget.balance()).isEqualTo(before);
  }

  @Test
  void connectFailuresAreNotRetriedWhenThePolicySaysSo() {
    endpoints("reviews", 2);
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .retryPolicy(RetryPolicy.builder().retryConnectFailures(false).build())
                    .build())
            .build());
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    assertThat(call.completeError(call.startAttempt(), new ConnectException("refused"), true))
        .isEqualTo(RetryDecision.COMPLETE);
  }

  @Test
  void aFailureThatIsNotRetryableEndsTheCall() {
    endpoints("reviews", 2);
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    assertThat(call.completeHttp(call.startAttempt(), 500)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(call.attempts()).isEqualTo(1);
  }

  @Test
  void retriesStopAtTheMaximumNumberOfAttempts() {
    endpoints("reviews", 3);
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    RetryDecision d;
    do {
      d = call.completeHttp(call.startAttempt(), 503);
    } while (d == RetryDecision.RETRY);
    assertThat(d).isEqualTo(RetryDecision.ATTEMPTS_EXHAUSTED);
    assertThat(call.attempts()).isEqualTo(3);
    assertThat(call.describe(d))
        .isEqualTo("reviews.default failed after 3 attempts (last failure: 503)");
  }

  @Test
  void noAttemptStartsAfterTheDeadline() {
    endpoints("reviews", 2);
    timeout(Duration.ofMillis(100));
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt a = call.startAttempt();
    assertThat(a.remainingNanos()).isEqualTo(100_000_000L);
    ticker.advance(Duration.ofMillis(100));
    assertThat(call.completeHttp(a, 503)).isEqualTo(RetryDecision.DEADLINE_EXCEEDED);
    assertThat(call.describe(RetryDecision.DEADLINE_EXCEEDED))
        .isEqualTo(
            "deadline of 100 ms for reviews.default exceeded after 1 attempt (last failure: 503)");
    assertThatThrownBy(call::startAttempt).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anAttemptThatFailsAtTheDeadlineEndsTheCallAsDeadlineExceeded() {
    endpoints("reviews", 2);
    timeout(Duration.ofMillis(100));
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt a = call.startAttempt();
    ticker.advance(Duration.ofMillis(100));
    assertThat(call.completeError(a, new java.net.SocketTimeoutException("timeout"), false))
        .isEqualTo(RetryDecision.DEADLINE_EXCEEDED);
  }

  @Test
  void aSuccessAfterTheDeadlineStillCompletes() {
    endpoints("reviews", 1);
    timeout(Duration.ofMillis(100));
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt a = call.startAttempt();
    ticker.advance(Duration.ofMillis(150));
    assertThat(call.completeHttp(a, 200)).isEqualTo(RetryDecision.COMPLETE);
  }

  @Test
  void anInheritedDeadlineShortensTheRouteTimeout() {
    endpoints("reviews", 1);
    timeout(Duration.ofSeconds(5));
    MeshContext ctx =
        MeshContext.root().withDeadline(Deadline.after(Duration.ofMillis(200), ticker));
    try (MeshContext.Scope ignored = ctx.makeCurrent()) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      ticker.advance(Duration.ofMillis(50));
      assertThat(call.startAttempt().remainingNanos()).isEqualTo(150_000_000L);
    }
  }

  @Test
  void anExpiredDeadlineFailsBeforeAnythingIsSent() {
    endpoints("reviews", 1);
    MeshContext ctx = MeshContext.root().withDeadline(Deadline.afterNanos(-1, ticker));
    try (MeshContext.Scope ignored = ctx.makeCurrent()) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      assertThatThrownBy(call::startAttempt)
          .isInstanceOf(DeadlineExceededException.class)
          .hasMessage("deadline of 0 ms for reviews.default exceeded after 0 attempts");
    }
  }

  @Test
  void retriesStayWithinTheBudgetWhenEveryAttemptFails() {
    endpoints("reviews", 3);
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .retryPolicy(RetryPolicy.builder().maxAttempts(100).build())
                    .build())
            .build());
    int requests = 2_000;
    int attempts = 0;
    for (int i = 0; i < requests; i++) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      RetryDecision d;
      do {
        d = call.completeHttp(call.startAttempt(), 503);
        attempts++;
      } while (d == RetryDecision.RETRY);
      ticker.advance(Duration.ofMillis(1)); // 2 000 requests over 2 s
    }
    long reserve = 10 * 10;
    assertThat(attempts).isLessThanOrEqualTo((int) (1.2 * requests + reserve));
    MeshCall last = events.calls().get(events.calls().size() - 1);
    assertThat(last.decision()).isEqualTo(RetryDecision.BUDGET_EXHAUSTED);
    assertThat(last.describe(RetryDecision.BUDGET_EXHAUSTED))
        .isEqualTo("retry budget for reviews.default exhausted (last failure: 503)");
  }

  @Test
  void aListenerThatThrowsDoesNotBreakTheCall() {
    Mesh noisy =
        Mesh.builder()
            .source(source)
            .listener(
                new MeshListener() {
                  @Override
                  public void attemptStarted(MeshCall call, Attempt attempt) {
                    throw new IllegalStateException("boom");
                  }
                })
            .listener(events)
            .ticker(ticker)
            .build();
    endpoints("reviews", 1);
    MeshCall call = noisy.newCall("reviews", TestRequest.get("/"));
    assertThat(call.completeHttp(call.startAttempt(), 200)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(events.events("attemptStarted")).hasSize(1);
  }

  @Test
  void propagatorsReadInboundHeadersIntoTheContextAndAFailingOneIsSkipped() {
    MeshContext.Key<String> tenant = MeshContext.Key.named("tenant");
    Mesh propagating =
        Mesh.builder()
            .listener(events)
            .propagator(
                new Propagator() {
                  @Override
                  public MeshContext extract(
                      MeshContext context, java.util.function.Function<String, String> headers) {
                    throw new IllegalStateException("broken propagator");
                  }
                })
            .propagator(
                new Propagator() {
                  @Override
                  public MeshContext extract(
                      MeshContext context, java.util.function.Function<String, String> headers) {
                    String t = headers.apply("x-tenant");
                    return t == null ? context : context.with(tenant, t);
                  }
                })
            .build();
    MeshContext ctx =
        propagating.extract(MeshContext.root(), name -> name.equals("x-tenant") ? "acme" : null);
    assertThat(ctx.get(tenant)).isEqualTo("acme");
    assertThat(events.events("sourceFailed")).hasSize(1);
  }

  @Test
  void listenersCanKeepStateWithTheCall() {
    endpoints("reviews", 1);
    MeshContext.Key<String> span = MeshContext.Key.named("span");
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    assertThat(call.attachment(span)).isNull();
    call.attach(span, "s1");
    call.attach(span, "s2");
    assertThat(call.attachment(span)).isEqualTo("s2");
  }
}
