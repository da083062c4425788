package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.Balancer;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshContext;
import dev.meshwork.RetryDecision;
import dev.meshwork.RetryPolicy;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The mesh over real grpc-java Netty servers on 127.0.0.1. */
class LoopbackNettyTest {

  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().source(source).listener(events).build();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    timer.shutdownNow();
    mesh.close();
  }

  /** Starts a Netty server on 127.0.0.1:0 and returns its endpoint. */
  private Endpoint serve(io.grpc.ServerServiceDefinition service, ServerTransportFilter filter)
      throws IOException {
    Server server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                InsecureServerCredentials.create())
            .addService(service)
            .addTransportFilter(filter)
            .build()
            .start();
    servers.add(server);
    InetSocketAddress address = (InetSocketAddress) server.getListenSockets().get(0);
    return Endpoint.of("127.0.0.1", address.getPort());
  }

  private Endpoint serve(io.grpc.ServerServiceDefinition service) throws IOException {
    return serve(service, new ServerTransportFilter() {});
  }

  private ManagedChannel channel(String service) {
    ManagedChannel channel =
        MeshGrpc.install(
                Grpc.newChannelBuilder("mesh:///" + service, InsecureChannelCredentials.create()),
                mesh)
            .build();
    channels.add(channel);
    return channel;
  }

  /** Counts the connections a server accepted. */
  private static final class Connections extends ServerTransportFilter {
    final AtomicInteger ready = new AtomicInteger();

    @Override
    public Attributes transportReady(Attributes attributes) {
      ready.incrementAndGet();
      return attributes;
    }
  }

  @Test
  void aSlowEndpointGetsFewRpcsAndBalancingIsPerRpcOverOneConnectionEach() throws Exception {
    Echo slow = new Echo("slow");
    slow.behaviour =
        (req, h, out) -> timer.schedule(() -> Echo.reply(out, "slow"), 50, TimeUnit.MILLISECONDS);
    Echo fast1 = new Echo("fast1");
    Echo fast2 = new Echo("fast2");
    Connections c0 = new Connections();
    Connections c1 = new Connections();
    Connections c2 = new Connections();
    // Peak-EWMA forgets a latency peak over its decay time (10 s by default, like Finagle's and
    // Linkerd's). This test lasts about a second, so it uses a 1 s decay: warm-up peaks (JIT,
    // connection setup) then fade within the warm-up phase instead of outliving the test.
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .balancer(Balancer.p2cPeakEwma(Duration.ofMillis(30), Duration.ofSeconds(1)))
                    .build())
            .build());
    source.endpoints(
        "reviews",
        serve(slow.service(), c0),
        serve(fast1.service(), c1),
        serve(fast2.service(), c2));
    ManagedChannel channel = channel("reviews");
    // Warm up connections and JIT, so that the measured RPCs see steady-state latencies.
    run(channel, 400, 4);

    ConcurrentLinkedQueue<String> answers = run(channel, 400, 4);

    long toSlow = answers.stream().filter("slow"::equals).count();
    long toFast1 = answers.stream().filter("fast1"::equals).count();
    long toFast2 = answers.stream().filter("fast2"::equals).count();
    int rpcs = answers.size();
    assertThat(rpcs).isEqualTo(400);
    assertThat(toSlow).isLessThan(rpcs / 10);
    // Per-RPC balancing: both fast endpoints share the load although each has one connection.
    assertThat(toFast1).isGreaterThan(rpcs / 5);
    assertThat(toFast2).isGreaterThan(rpcs / 5);
    assertThat(List.of(c0.ready.get(), c1.ready.get(), c2.ready.get())).containsOnly(1);
  }

  /** {@code rpcs} unary calls from {@code concurrency} threads; the answers. */
  private static ConcurrentLinkedQueue<String> run(
      ManagedChannel channel, int rpcs, int concurrency) throws Exception {
    ConcurrentLinkedQueue<String> answers = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < rpcs / concurrency; i++) {
                  answers.add(
                      ClientCalls.blockingUnaryCall(
                          channel,
                          Echo.SAY,
                          CallOptions.DEFAULT
                              .withWaitForReady()
                              .withDeadlineAfter(5, TimeUnit.SECONDS),
                          "hi"));
                }
              }));
    }
    CompletableFuture.allOf(workers.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    return answers;
  }

  @Test
  void aDeadlineCrossesTwoHopsAndOnlyShrinks() throws Exception {
    Echo back = new Echo("back");
    ConcurrentLinkedQueue<Long> meshRemaining = new ConcurrentLinkedQueue<>();
    back.behaviour =
        (req, h, out) -> {
          dev.meshwork.Deadline d = MeshContext.current().deadline();
          if (d != null) {
            meshRemaining.add(d.remainingNanos());
          }
          Echo.reply(out, "back");
        };
    source.endpoints(
        "back",
        serve(ServerInterceptors.intercept(back.service(), new MeshServerInterceptor(mesh))));
    ManagedChannel toBack = channel("back");
    Echo front = new Echo("front");
    front.behaviour =
        (req, h, out) -> {
          // The handler calls the next mesh service with no deadline of its own.
          Echo.reply(
              out, ClientCalls.blockingUnaryCall(toBack, Echo.SAY, CallOptions.DEFAULT, req));
        };
    source.endpoints(
        "front",
        serve(ServerInterceptors.intercept(front.service(), new MeshServerInterceptor(mesh))));
    ManagedChannel toFront = channel("front");
    // Connect and warm up both hops first: a cold JVM can spend 200 ms on the first call alone.
    for (int i = 0; i < 20; i++) {
      ClientCalls.blockingUnaryCall(
          toFront, Echo.SAY, CallOptions.DEFAULT.withWaitForReady(), "warm");
    }
    front.remainingNanos.clear();
    back.remainingNanos.clear();
    meshRemaining.clear();

    String answer =
        ClientCalls.blockingUnaryCall(
            toFront,
            Echo.SAY,
            CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS),
            "hi");

    assertThat(answer).isEqualTo("back");
    assertThat(front.remainingNanos.peek()).isBetween(1L, 200_000_000L);
    assertThat(back.remainingNanos.peek()).isBetween(1L, front.remainingNanos.peek());
    assertThat(meshRemaining.peek()).isBetween(1L, 200_000_000L);
  }

  @Test
  void nothingIsAttemptedAfterTheDeadline() throws Exception {
    Echo broken = new Echo("broken");
    broken.behaviour = Echo.failing(Status.UNAVAILABLE, null);
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .retryPolicy(
                        RetryPolicy.builder()
                            .maxAttempts(100)
                            .backoff(Duration.ofMillis(20), Duration.ofMillis(40))
                            .build())
                    .build())
            .build());
    source.endpoints("reviews", serve(broken.service()));
    ManagedChannel channel = channel("reviews");

    Status status;
    try {
      ClientCalls.blockingUnaryCall(
          channel,
          Echo.SAY,
          CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS),
          "hi");
      throw new AssertionError("call succeeded");
    } catch (StatusRuntimeException e) {
      status = e.getStatus();
    }

    assertThat(status.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    MeshCall call = events.calls().get(0);
    assertThat(events.calls()).hasSize(1);
    assertThat(call.attempts()).isGreaterThan(1);
    assertThat(broken.calls.get()).isEqualTo(call.attempts());
    long deadlineAt = call.startNanos() + 200_000_000L;
    assertThat(events.attempts()).hasSize(call.attempts());
    for (Attempt a : events.attempts()) {
      assertThat(a.startNanos()).isLessThan(deadlineAt);
      assertThat(a.remainingNanos()).isPositive();
    }
    assertThat(call.decision()).isIn(RetryDecision.DEADLINE_EXCEEDED, RetryDecision.COMPLETE);
  }
}
