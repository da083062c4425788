package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.HeaderModifier;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.RequestMatch;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.StringMatch;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Routing, splitting and deadlines of gRPC calls, over the in-process transport. */
class MeshGrpcRoutingTest {

  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh =
      Mesh.builder().source(source).listener(events).random(new SeededRandom(7)).build();
  private final InProcessMesh servers = new InProcessMesh();

  private final Endpoint v1 = Endpoint.of("10.0.1.1", 80);
  private final Endpoint v2 = Endpoint.of("10.0.2.1", 80);

  @AfterEach
  void tearDown() throws InterruptedException {
    servers.close();
    mesh.close();
  }

  private void reviewsSplit(Route... routes) {
    ServiceConfig.Builder reviews = ServiceConfig.builder("reviews");
    for (Route r : routes) {
      reviews.route(r);
    }
    source.config(MeshConfig.builder().service(reviews.build()).build());
    source.endpoints("reviews-v1", v1);
    source.endpoints("reviews-v2", v2);
    servers.serve(v1, "v1");
    servers.serve(v2, "v2");
  }

  private static String say(ManagedChannel channel, CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, Echo.SAY, options, "hi");
  }

  @Test
  void aNinetyTenSplitHoldsWithinTwoPercentOverTenThousandRpcs() {
    reviewsSplit(Route.to(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)));
    ManagedChannel channel = servers.channel(mesh, "reviews");

    Map<String, Integer> counts = new HashMap<>();
    int n = 10_000;
    for (int i = 0; i < n; i++) {
      counts.merge(say(channel, CallOptions.DEFAULT), 1, Integer::sum);
    }

    assertThat(counts.keySet()).containsExactlyInAnyOrder("v1", "v2");
    assertThat(counts.get("v2") / (double) n).isBetween(0.08, 0.12);
    assertThat(counts.get("v1") / (double) n).isBetween(0.88, 0.92);
    assertThat(events.calls()).hasSize(n);
  }

  @Test
  void aHeaderMatchedRouteSendsMatchingRpcsToTheCanaryOnly() {
    reviewsSplit(
        Route.builder()
            .match(RequestMatch.builder().header("x-canary", StringMatch.exact("1")).build())
            .backends(Backend.of("reviews-v2", 1))
            .build(),
        Route.to(Backend.of("reviews-v1", 1)));
    ManagedChannel channel = servers.channel(mesh, "reviews");
    Metadata canary = new Metadata();
    canary.put(Echo.CANARY, "1");
    io.grpc.Channel canaryChannel =
        io.grpc.ClientInterceptors.intercept(
            channel, MetadataUtils.newAttachHeadersInterceptor(canary));

    for (int i = 0; i < 200; i++) {
      assertThat(ClientCalls.blockingUnaryCall(canaryChannel, Echo.SAY, CallOptions.DEFAULT, "hi"))
          .isEqualTo("v2");
      assertThat(say(channel, CallOptions.DEFAULT)).isEqualTo("v1");
    }
  }

  @Test
  void routesMatchTheFullMethodNameAsAPath() {
    reviewsSplit(
        Route.builder()
            .match(RequestMatch.builder().path(StringMatch.exact("/test.Echo/Say")).build())
            .backends(Backend.of("reviews-v2", 1))
            .build(),
        Route.to(Backend.of("reviews-v1", 1)));
    ManagedChannel channel = servers.channel(mesh, "reviews");

    assertThat(say(channel, CallOptions.DEFAULT)).isEqualTo("v2");
  }

  @Test
  void theRouteHeaderModifierIsAppliedToTheOutgoingMetadata() {
    Echo echo = servers.serve(v1, "v1");
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(
                        Route.builder()
                            .backends(Backend.of("reviews", 1))
                            .requestHeaders(
                                HeaderModifier.builder().set("x-route", "canary").build())
                            .build())
                    .build())
            .build());
    source.endpoints("reviews", v1);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    say(channel, CallOptions.DEFAULT);

    assertThat(echo.routeHeaders).containsExactly("canary");
  }

  @Test
  void theRouteTimeoutGoesOutAsTheGrpcDeadline() {
    Echo echo = servers.serve(v1, "v1");
    source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder("reviews").timeout(Duration.ofMillis(300)).build())
            .build());
    source.endpoints("reviews", v1);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    say(channel, CallOptions.DEFAULT);
    say(channel, CallOptions.DEFAULT.withDeadlineAfter(100, TimeUnit.MILLISECONDS));

    assertThat(echo.remainingNanos).hasSize(2);
    assertThat(echo.remainingNanos.poll()).isBetween(1L, 300_000_000L);
    assertThat(echo.remainingNanos.poll()).isBetween(1L, 100_000_000L);
  }

  @Test
  void theMeshContextDeadlineBoundsTheRpc() {
    Echo echo = servers.serve(v1, "v1");
    source.endpoints("reviews", v1);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    dev.meshwork.MeshContext ctx =
        dev.meshwork.MeshContext.root()
            .withDeadline(dev.meshwork.Deadline.after(Duration.ofMillis(150), mesh.ticker()));
    try (dev.meshwork.MeshContext.Scope ignored = ctx.makeCurrent()) {
      say(channel, CallOptions.DEFAULT);
    }

    assertThat(echo.remainingNanos.poll()).isBetween(1L, 150_000_000L);
  }

  @Test
  void aServiceWithoutEndpointsFailsFastWithUnavailable() {
    source.config(MeshConfig.builder().service(ServiceConfig.builder("reviews").build()).build());
    ManagedChannel channel = servers.channel(mesh, "reviews");

    assertThatThrownBy(() -> say(channel, CallOptions.DEFAULT.withWaitForReady()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .isEqualTo("no healthy endpoints for reviews.default (0 known)");
            });
  }

  @Test
  void anUnknownServiceFailsWithUnavailable() {
    ManagedChannel channel = servers.channel(mesh, "nowhere");

    assertThatThrownBy(() -> say(channel, CallOptions.DEFAULT))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void newEndpointsReachTheChannelWhenTheMeshChanges() {
    servers.serve(v1, "v1");
    servers.serve(v2, "v2");
    source.endpoints("reviews", v1);
    ManagedChannel channel = servers.channel(mesh, "reviews");
    assertThat(say(channel, CallOptions.DEFAULT)).isEqualTo("v1");

    source.endpoints("reviews", v2);

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> say(channel, CallOptions.DEFAULT).equals("v2"));
    for (int i = 0; i < 20; i++) {
      assertThat(say(channel, CallOptions.DEFAULT)).isEqualTo("v2");
    }
  }
}
