package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshContext;
import dev.meshwork.RetryPolicy;
import dev.meshwork.grpc.MeshGrpc;
import dev.meshwork.grpc.MeshServerInterceptor;
import dev.meshwork.testing.InMemorySource;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three hops over real Netty servers: a client retries a middle service, which calls a backend that
 * always answers UNAVAILABLE. Both meshes carry the attempt counter; the middle service's outbound
 * calls made for the client's retries do not retry themselves.
 */
class AttemptCounterPropagationTest {

  private static final RetryPolicy FAST =
      RetryPolicy.builder().maxAttempts(3).backoff(Duration.ZERO, Duration.ZERO).build();

  private final List<AutoCloseable> closing = new ArrayList<>();
  private final AtomicInteger backendCalls = new AtomicInteger();
  private final List<String> attemptHeaders = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private Mesh mesh(String service, int port, boolean defer) {
    InMemorySource source = new InMemorySource();
    Mesh mesh =
        Mesh.builder()
            .source(source)
            .retryPolicy(FAST)
            .propagator(AttemptCounter.propagator())
            .deferRetriesToUpstream(defer)
            .build();
    source.endpoints(service, Endpoint.of("127.0.0.1", port));
    closing.add(mesh);
    return mesh;
  }

  private ManagedChannel channel(Mesh mesh, String service) {
    ManagedChannel c =
        MeshGrpc.install(
                Grpc.newChannelBuilder("mesh:///" + service, InsecureChannelCredentials.create()),
                mesh)
            .build();
    closing.add(() -> c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return c;
  }

  private static String say(ManagedChannel channel) {
    return ClientCalls.blockingUnaryCall(
        channel, GrpcEcho.SAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hi");
  }

  /** Client → middle → backend; returns the backend calls one client call caused. */
  private int backendCallsForOneClientCall(boolean middleDefers) {
    GrpcEcho backend =
        new GrpcEcho(
            (req, out) -> {
              backendCalls.incrementAndGet();
              out.onError(Status.UNAVAILABLE.withDescription("backend down").asRuntimeException());
            });
    closing.add(backend);
    Mesh middleMesh = mesh("backend", backend.port(), middleDefers);
    ManagedChannel toBackend = channel(middleMesh, "backend");
    GrpcEcho middle =
        new GrpcEcho(
            (req, out) -> {
              synchronized (attemptHeaders) {
                attemptHeaders.add(
                    String.valueOf(MeshContext.current().get(MeshContext.UPSTREAM_ATTEMPT)));
              }
              try {
                GrpcEcho.reply(out, say(toBackend));
              } catch (StatusRuntimeException e) {
                out.onError(e.getStatus().asRuntimeException());
              }
            },
            new MeshServerInterceptor(middleMesh));
    closing.add(middle);
    Mesh clientMesh = mesh("middle", middle.port(), true);
    ManagedChannel toMiddle = channel(clientMesh, "middle");

    assertThatThrownBy(() -> say(toMiddle))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    return backendCalls.get();
  }

  @Test
  void aServiceServingAnUpstreamRetryDoesNotRetryItsOwnCalls() {
    int calls = backendCallsForOneClientCall(true);

    // The client's first attempt lets the middle retry (3); its two retries get one each.
    assertThat(attemptHeaders).containsExactly("1", "2", "3");
    assertThat(calls).isEqualTo(5);
  }

  @Test
  void withoutDeferralEveryHopRetriesAndTheAttemptsMultiply() {
    int calls = backendCallsForOneClientCall(false);

    assertThat(calls).isEqualTo(9);
  }
}
