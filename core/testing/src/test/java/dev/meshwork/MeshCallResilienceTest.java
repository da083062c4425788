package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The core seams of hedging, concurrency limits, fault injection and upstream retry deferral. */
class MeshCallResilienceTest {

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final List<Attempt> hedgeObserved = new ArrayList<>();

  private final HedgingPolicy tenMillis =
      new HedgingPolicy() {
        @Override
        public long backupDelayNanos(MeshCall call) {
          return 10_000_000;
        }

        @Override
        public void attemptEnded(MeshCall call, Attempt attempt) {
          hedgeObserved.add(attempt);
        }
      };

  private Mesh.Builder mesh() {
    return Mesh.builder()
        .source(source)
        .listener(events)
        .ticker(ticker)
        .random(new SeededRandom(7));
  }

  private void endpoints(int n) {
    Endpoint[] eps = new Endpoint[n];
    for (int i = 0; i < n; i++) {
      eps[i] = Endpoint.of("10.0.0." + (i + 1), 80);
    }
    source.endpoints("reviews", eps);
  }

  private void route(Route route) {
    source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder("reviews").route(route).build())
            .build());
  }

  @Test
  void aBackupGoesToAnotherEndpointAndTheFirstSuccessEndsTheCall() {
    Mesh mesh = mesh().hedging(tenMillis).build();
    endpoints(3);
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt first = call.startAttempt();
    assertThat(call.backupDelayNanos()).isEqualTo(10_000_000);

    Attempt backup = call.startBackup();

    assertThat(backup).isNotNull();
    assertThat(backup.isBackup()).isTrue();
    assertThat(backup.isRetry()).isFalse();
    assertThat(backup.endpoint()).isNotEqualTo(first.endpoint());
    assertThat(call.attemptsInFlight()).isEqualTo(2);
    assertThat(call.completeHttp(backup, 200)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(call.isEnded()).isTrue();
    assertThat(call.completeCancelled(first)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(first.result()).isEqualTo(ResponseClass.IGNORED);
    assertThat(events.events("callEnded")).containsExactly("callEnded reviews.default COMPLETE");
    assertThat(hedgeObserved).containsExactly(backup, first);
  }

  @Test
  void aFailureWhileTheOtherAttemptIsInFlightLeavesTheDecisionToIt() {
    Mesh mesh = mesh().hedging(tenMillis).build();
    endpoints(3);
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt first = call.startAttempt();
    Attempt backup = call.startBackup();

    assertThat(call.completeHttp(first, 500)).isEqualTo(RetryDecision.AWAITING_OTHER_ATTEMPT);
    assertThat(call.isEnded()).isFalse();
    assertThat(call.completeHttp(backup, 200)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(call.describe(RetryDecision.COMPLETE)).isEqualTo("reviews.default: 200");
  }

  @Test
  void onlyOneBackupIsGrantedAndOnlyWhileTheFirstAttemptIsInFlight() {
    Mesh mesh = mesh().hedging(tenMillis).build();
    endpoints(3);
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt first = call.startAttempt();
    call.completeHttp(first, 503);

    assertThat(call.startBackup()).isNull();
    Attempt retry = call.startAttempt();
    assertThat(call.startBackup()).isNull();
    assertThat(retry.isRetry()).isTrue();
  }

  @Test
  void requestsThatAreNotIdempotentAreNeverHedged() {
    Mesh mesh = mesh().hedging(tenMillis).build();
    endpoints(2);
    MeshCall call = mesh.newCall("reviews", TestRequest.post("/orders"));
    call.startAttempt();

    assertThat(call.backupDelayNanos()).isNegative();
    assertThat(call.startBackup()).isNull();
  }

  @Test
  void aBackupIsPaidFromTheRetryBudget() {
    Mesh mesh = mesh().hedging(tenMillis).retryBudget(Duration.ofSeconds(10), 0, 0.1).build();
    endpoints(2);
    int backups = 0;
    for (int i = 0; i < 100; i++) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      Attempt first = call.startAttempt();
      Attempt backup = call.startBackup();
      call.completeHttp(first, 200);
      if (backup != null) {
        backups++;
        call.completeCancelled(backup);
      }
    }
    // 10 % of 100 requests, the first of which deposits before its own backup withdraws.
    assertThat(backups).isBetween(9, 10);
  }

  @Test
  void aCallOverItsDestinationsConcurrencyLimitIsRejectedAndPermitsComeBack() {
    AtomicInteger released = new AtomicInteger();
    Mesh mesh = mesh().concurrencyLimits((service, m) -> new OnePermit(released)).build();
    endpoints(2);
    MeshCall first = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt attempt = first.startAttempt();
    MeshCall second = mesh.newCall("reviews", TestRequest.get("/"));

    assertThatThrownBy(second::startAttempt)
        .isInstanceOf(ConcurrencyLimitExceededException.class)
        .hasMessage("concurrency limit of 1 calls to reviews.default reached");
    assertThat(second.isEnded()).isTrue();

    first.completeHttp(attempt, 200);
    assertThat(released).hasValue(1);
    MeshCall third = mesh.newCall("reviews", TestRequest.get("/"));
    assertThat(third.startAttempt()).isNotNull();
  }

  @Test
  void anAbortedAttemptIsClassifiedLikeTheStatusButNotRetried() {
    Mesh mesh = mesh().build();
    endpoints(2);
    route(Route.builder().backends(Backend.of("reviews", 1)).fault(abortAll(false)).build());
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt attempt = call.startAttempt();

    assertThat(attempt.isInjectedAbort()).isTrue();
    assertThat(attempt.injectedHttpStatus()).isEqualTo(503);
    assertThat(attempt.injectedGrpcCode()).isEqualTo(14);
    assertThat(call.completeHttp(attempt, 503)).isEqualTo(RetryDecision.COMPLETE);
    assertThat(attempt.result()).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
  }

  @Test
  void anAbortedAttemptIsRetriedWhenTheFaultSaysSo() {
    Mesh mesh = mesh().build();
    endpoints(2);
    route(Route.builder().backends(Backend.of("reviews", 1)).fault(abortAll(true)).build());
    MeshCall call = mesh.newCall("reviews", TestRequest.post("/orders"));
    Attempt attempt = call.startAttempt();

    // Nothing was sent, so even a POST is safe to repeat.
    assertThat(call.completeHttp(attempt, 503)).isEqualTo(RetryDecision.RETRY);
  }

  @Test
  void theFaultHeaderIsHonouredOnlyWhenTheMeshAllowsIt() {
    TestRequest request =
        new TestRequest("GET", "/", Map.of(Fault.HEADER, "abort=UNAVAILABLE;delay=20ms"));
    Mesh closed = mesh().build();
    endpoints(1);
    Attempt a = closed.newCall("reviews", request).startAttempt();
    assertThat(a.isInjectedAbort()).isFalse();
    assertThat(a.injectedDelayNanos()).isZero();

    InMemorySource other = new InMemorySource();
    Mesh open = Mesh.builder().source(other).ticker(ticker).faultHeader(true).build();
    other.endpoints("reviews", Endpoint.of("10.0.0.1", 80));
    Attempt b = open.newCall("reviews", request).startAttempt();
    assertThat(b.isInjectedAbort()).isTrue();
    assertThat(b.injectedGrpcCode()).isEqualTo(14);
    assertThat(b.injectedHttpStatus()).isEqualTo(503);
    assertThat(b.injectedDelayNanos()).isEqualTo(20_000_000);
  }

  @Test
  void aCallServingAnUpstreamRetryMakesOneAttempt() {
    Mesh mesh = mesh().hedging(tenMillis).build();
    endpoints(3);
    MeshContext retried = MeshContext.root().with(MeshContext.UPSTREAM_ATTEMPT, 2);
    try (MeshContext.Scope ignored = retried.makeCurrent()) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      Attempt attempt = call.startAttempt();
      assertThat(call.upstreamAttempt()).isEqualTo(2);
      assertThat(call.backupDelayNanos()).isNegative();
      assertThat(call.completeHttp(attempt, 503)).isEqualTo(RetryDecision.COMPLETE);
    }
  }

  @Test
  void aCallServingAnUpstreamRetryStillRetriesWhenDeferralIsOff() {
    Mesh mesh = mesh().deferRetriesToUpstream(false).build();
    endpoints(3);
    MeshContext retried = MeshContext.root().with(MeshContext.UPSTREAM_ATTEMPT, 3);
    try (MeshContext.Scope ignored = retried.makeCurrent()) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      assertThat(call.completeHttp(call.startAttempt(), 503)).isEqualTo(RetryDecision.RETRY);
    }
  }

  private static Fault abortAll(boolean retried) {
    return Fault.builder().abort(503, 100).retried(retried).build();
  }

  /** A limit of one call. */
  private static final class OnePermit implements ConcurrencyLimit {
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger released;

    OnePermit(AtomicInteger released) {
      this.released = released;
    }

    @Override
    public boolean tryAcquire() {
      return inFlight.compareAndSet(0, 1);
    }

    @Override
    public void release(ResponseClass result, long rttNanos) {
      released.incrementAndGet();
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
