package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Fault;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.grpc.MeshGrpc;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.SeededRandom;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockWebServer;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Acceptance: a route aborting 10 % of attempts with 503 / UNAVAILABLE, through the OkHttp and gRPC
 * adapters against loopback servers. The mesh's random source is seeded, so each run draws the same
 * faults.
 */
class FaultInjectionAcceptanceTest {

  private final Servers servers = new Servers();
  private final InMemorySource source = new InMemorySource();
  private final AtomicInteger reached = new AtomicInteger();
  private @Nullable Mesh mesh;
  private @Nullable GrpcEcho grpc;
  private @Nullable ManagedChannel channel;

  @AfterEach
  void close() throws InterruptedException {
    servers.close();
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (grpc != null) {
      grpc.close();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  private Mesh mesh(Fault fault) {
    Mesh m = Mesh.builder().source(source).random(new SeededRandom(31)).build();
    mesh = m;
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(Route.builder().backends(Backend.of("reviews", 1)).fault(fault).build())
                    .build())
            .build());
    return m;
  }

  private OkHttpClient http(Fault fault) {
    Mesh m = mesh(fault);
    MockWebServer server =
        servers.start(
            r -> {
              reached.incrementAndGet();
              return Servers.status(200);
            });
    source.endpoints("reviews", Servers.endpoint(server));
    return MeshOkHttp.install(new OkHttpClient.Builder(), m).build();
  }

  private int failures(OkHttpClient client, int requests) throws IOException {
    Request get = new Request.Builder().url("http://reviews/").build();
    int failed = 0;
    for (int i = 0; i < requests; i++) {
      try (Response r = client.newCall(get).execute()) {
        if (r.code() == 503) {
          failed++;
        }
      }
    }
    return failed;
  }

  @Test
  void tenPercentAbortsFailTenPercentOfHttpRequestsAndRetriesDoNotHideThem() throws IOException {
    OkHttpClient client = http(Fault.builder().abort(503, 10).build());

    int failed = failures(client, 10_000);

    System.out.printf(
        "fault acceptance (HTTP): %d of 10000 requests failed (%.2f %%), %d reached the server%n",
        failed, failed / 100.0, reached.get());
    assertThat(failed).isBetween(900, 1100);
    assertThat(reached.get()).isEqualTo(10_000 - failed); // aborted attempts were not retried
  }

  @Test
  void retriesHideAbortsOnlyWhenTheFaultSaysTheyMay() throws IOException {
    OkHttpClient client = http(Fault.builder().abort(503, 10).retried(true).build());

    int failed = failures(client, 2_000);

    System.out.printf(
        "fault acceptance (HTTP, retried): %d of 2000 requests failed, %d reached the server%n",
        failed, reached.get());
    assertThat(failed).isLessThan(20); // three attempts: about 0.1 % fail all three
    assertThat(reached.get()).isEqualTo(2_000 - failed);
  }

  @Test
  void tenPercentAbortsFailTenPercentOfRpcsWithTheInjectedStatus() throws InterruptedException {
    Mesh m = mesh(Fault.builder().abortGrpc(Status.Code.UNAVAILABLE.value(), 10).build());
    grpc =
        new GrpcEcho(
            (req, out) -> {
              reached.incrementAndGet();
              GrpcEcho.reply(out, req);
            });
    source.endpoints("reviews", Endpoint.of("127.0.0.1", grpc.port()));
    channel =
        MeshGrpc.install(
                Grpc.newChannelBuilder("mesh:///reviews", InsecureChannelCredentials.create()), m)
            .build();
    int failed = 0;
    for (int i = 0; i < 2_000; i++) {
      try {
        ClientCalls.blockingUnaryCall(
            channel,
            GrpcEcho.SAY,
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
            "hi");
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription())
            .isEqualTo("fault injected by the mesh into a call to reviews.default");
        failed++;
      }
    }

    System.out.printf(
        "fault acceptance (gRPC): %d of 2000 RPCs failed (%.2f %%)%n", failed, failed / 20.0);
    assertThat(failed).isBetween(160, 240); // 10 % ± 2 % over 2 000 (3 standard deviations)
    assertThat(reached.get()).isEqualTo(2_000 - failed);
  }
}
