package dev.meshwork.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.RequestMatch;
import dev.meshwork.RetryPolicy;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.StringMatch;
import dev.meshwork.grpc.MeshGrpc;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One service, {@code flaky}, reached over HTTP (OkHttp) and gRPC, where every attempt fails: both
 * clients of the same mesh retry, and every retry pays from the one retry budget of {@code flaky}.
 */
class SharedRetryBudgetTest {

  // Time stands still for the mesh, so the budget window cannot expire mid-test; the budget is
  // its reserve only: 1 retry per second over 10 s, i.e. 10 retries for everyone together.
  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh =
      Mesh.builder()
          .source(source)
          .listener(events)
          .ticker(ticker)
          .retryBudget(Duration.ofSeconds(10), 1, 0.0)
          .build();
  private final MockWebServer http = new MockWebServer();
  private DemoGrpcBackend grpc;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (grpc != null) {
      grpc.close();
    }
    http.close();
    mesh.close();
  }

  @Test
  void httpAndGrpcRetryStormsDrawOnOneRetryBudget() throws Exception {
    http.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse.Builder().code(503).build();
          }
        });
    http.start(InetAddress.getLoopbackAddress(), 0);
    grpc = new DemoGrpcBackend("flaky grpc", 0, 1.0);
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("flaky")
                    .route(
                        Route.builder()
                            .match(
                                RequestMatch.builder()
                                    .path(StringMatch.prefix("/demo.Ratings/"))
                                    .build())
                            .backends(Backend.of("flaky-grpc", 1))
                            .build())
                    .route(Route.to(Backend.of("flaky-http", 1)))
                    .retryPolicy(
                        RetryPolicy.builder()
                            .maxAttempts(3)
                            .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                            .build())
                    .build())
            .build());
    source.endpoints("flaky-http", Endpoint.of("127.0.0.1", http.getPort()));
    source.endpoints("flaky-grpc", grpc.endpoint());
    OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
    channel =
        MeshGrpc.install(
                Grpc.newChannelBuilder("mesh:///flaky", InsecureChannelCredentials.create()), mesh)
            .build();

    int calls = 20;
    Status lastGrpc = null;
    for (int i = 0; i < calls; i++) {
      try (Response r =
          client.newCall(new Request.Builder().url("http://flaky/books/1").build()).execute()) {
        assertThat(r.code()).isEqualTo(503);
      }
      try {
        ClientCalls.blockingUnaryCall(
            channel, DemoGrpcBackend.GET, CallOptions.DEFAULT.withWaitForReady(), "book-1");
      } catch (StatusRuntimeException e) {
        lastGrpc = e.getStatus();
      }
    }

    long httpRetries = retriesTo("flaky-http");
    long grpcRetries = retriesTo("flaky-grpc");
    // Without a budget each call would make 2 retries: 80 in all. Two budgets would allow 20.
    assertThat(httpRetries + grpcRetries).isEqualTo(10);
    assertThat(httpRetries).isPositive();
    assertThat(grpcRetries).isPositive();
    assertThat(mesh.retryBudget(ServiceName.of("flaky")).balance()).isZero();
    assertThat(lastGrpc.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(lastGrpc.getDescription())
        .endsWith("retry budget for flaky.default exhausted (last failure: UNAVAILABLE)");
  }

  private long retriesTo(String service) {
    return events.attempts().stream()
        .filter(Attempt::isRetry)
        .filter(a -> a.call().backend().service().name().equals(service))
        .count();
  }
}
