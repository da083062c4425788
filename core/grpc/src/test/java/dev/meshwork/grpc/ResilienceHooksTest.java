package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.ConcurrencyLimit;
import dev.meshwork.Endpoint;
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
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How the gRPC adapter carries out hedged backups, injected faults and concurrency limits. */
class ResilienceHooksTest {

  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final InProcessMesh servers = new InProcessMesh();
  private final AtomicInteger calls = new AtomicInteger();
  private final CountDownLatch stalledCancelled = new CountDownLatch(1);
  private Mesh mesh;

  @AfterEach
  void tearDown() throws InterruptedException {
    servers.close();
    if (mesh != null) {
      mesh.close();
    }
  }

  private ManagedChannel channel(Mesh.Builder builder) {
    mesh = builder.source(source).listener(events).build();
    return servers.channel(mesh, "reviews");
  }

  /** Two servers; the first call over both hangs until it is cancelled. */
  private void servers(boolean stallFirst) {
    Endpoint a = Endpoint.of("10.0.0.1", 80);
    Endpoint b = Endpoint.of("10.0.0.2", 80);
    for (Endpoint e : new Endpoint[] {a, b}) {
      Echo echo = servers.serve(e, e.authority());
      echo.behaviour =
          (req, h, out) -> {
            if (calls.incrementAndGet() == 1 && stallFirst) {
              ((ServerCallStreamObserver<String>) out)
                  .setOnCancelHandler(stalledCancelled::countDown);
              return;
            }
            Echo.reply(out, echo.name);
          };
    }
    source.endpoints("reviews", a, b);
  }

  private static CallOptions deadline() {
    return CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  private static Status statusOf(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
    throw new AssertionError("call succeeded");
  }

  private void route(Fault fault) {
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(Route.builder().backends(Backend.of("reviews", 1)).fault(fault).build())
                    .build())
            .build());
  }

  @Test
  void aStalledAttemptLosesToItsBackupWhichAnswersAndTheLoserIsCancelled() throws Exception {
    ManagedChannel channel = channel(Mesh.builder().hedging(call -> 20_000_000L));
    servers(true);

    String reply = ClientCalls.blockingUnaryCall(channel, Echo.SAY, deadline(), "hi");

    assertThat(reply).startsWith("10.0.0.");
    assertThat(calls).hasValue(2);
    assertThat(stalledCancelled.await(5, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> events.attempts().size() == 2);
    assertThat(events.attempts())
        .extracting(Attempt::result)
        .containsExactlyInAnyOrder(ResponseClass.SUCCESS, ResponseClass.IGNORED);
    assertThat(events.attempts()).filteredOn(Attempt::isBackup).hasSize(1);
    assertThat(events.calls()).singleElement().returns(RetryDecision.COMPLETE, c -> c.decision());
  }

  @Test
  void anEligibleRpcWhoseFirstAttemptAnswersInTimeSendsNoBackup() {
    ManagedChannel channel = channel(Mesh.builder().hedging(call -> 10_000_000_000L));
    servers(false);

    for (int i = 0; i < 5; i++) {
      assertThat(ClientCalls.blockingUnaryCall(channel, Echo.SAY, deadline(), "hi"))
          .startsWith("10.0.0.");
    }

    assertThat(calls).hasValue(5);
    assertThat(events.attempts()).extracting(Attempt::result).containsOnly(ResponseClass.SUCCESS);
  }

  @Test
  void anAbortedAttemptClosesWithTheInjectedStatusAndIsNotRetried() {
    ManagedChannel channel = channel(Mesh.builder());
    servers(false);
    route(Fault.builder().abortGrpc(Status.Code.UNAVAILABLE.value(), 100).build());

    Status status =
        statusOf(() -> ClientCalls.blockingUnaryCall(channel, Echo.SAY, deadline(), "hi"));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription())
        .isEqualTo("fault injected by the mesh into a call to reviews.default");
    assertThat(calls).hasValue(0);
    assertThat(events.calls()).singleElement().returns(RetryDecision.COMPLETE, c -> c.decision());
    assertThat(events.attempts())
        .singleElement()
        .returns(ResponseClass.RETRYABLE_FAILURE, Attempt::result);
  }

  @Test
  void aDelayedAttemptIsHeldUntilTheMeshsTickerPassesTheDelay() throws Exception {
    FakeTicker ticker = new FakeTicker();
    ManagedChannel channel =
        channel(Mesh.builder().ticker(ticker).scheduler(ticker.scheduler()).faultHeader(true));
    servers(false);
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(Fault.HEADER, Metadata.ASCII_STRING_MARSHALLER), "delay=100ms");

    io.grpc.Channel withHeader =
        ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    var reply = ClientCalls.futureUnaryCall(withHeader.newCall(Echo.SAY, deadline()), "hi");
    await().atMost(Duration.ofSeconds(5)).until(() -> events.attempts().isEmpty() && started());
    assertThat(calls).hasValue(0);

    ticker.advance(Duration.ofMillis(100));

    assertThat(reply.get(5, TimeUnit.SECONDS)).startsWith("10.0.0.");
    assertThat(calls).hasValue(1);
  }

  private boolean started() {
    return !events.events("attemptStarted").isEmpty();
  }

  @Test
  void anRpcOverTheConcurrencyLimitFailsFastNamingTheServiceAndTheLimit() {
    AtomicInteger inFlight = new AtomicInteger();
    ManagedChannel channel =
        channel(Mesh.builder().concurrencyLimits((service, m) -> new OneCall(inFlight)));
    servers(true);
    var first = ClientCalls.futureUnaryCall(channel.newCall(Echo.SAY, deadline()), "hi");
    await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1);

    Status status =
        statusOf(() -> ClientCalls.blockingUnaryCall(channel, Echo.SAY, deadline(), "hi"));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getDescription())
        .isEqualTo("concurrency limit of 1 calls to reviews.default reached");
    first.cancel(true);
    await().atMost(Duration.ofSeconds(5)).until(() -> inFlight.get() == 0);
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
