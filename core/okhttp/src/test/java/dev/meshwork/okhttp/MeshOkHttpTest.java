package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.Balancer;
import dev.meshwork.HeaderModifier;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.PathRewrite;
import dev.meshwork.Propagator;
import dev.meshwork.RequestMatch;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.StringMatch;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MeshOkHttpTest {

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

  private Response get(String url) throws IOException {
    return client.newCall(new Request.Builder().url(url).build()).execute();
  }

  @Test
  void hostsTheMeshDoesNotKnowPassThroughUntouched() throws Exception {
    MockWebServer server = backends.start(200, seen);
    try (Response r = get(server.url("/plain").toString())) {
      assertThat(r.code()).isEqualTo(200);
    }
    RecordedRequest recorded = seen.poll();
    assertThat(recorded.getHeaders().get("Host"))
        .isEqualTo(server.url("/").host() + ":" + server.getPort());
    assertThat(recorded.getHeaders().get("meshwork-timeout")).isNull();
    assertThat(events.calls()).isEmpty();
  }

  @Test
  void aServiceRequestGoesToOneOfItsEndpointsWithTheLogicalHost() throws Exception {
    MockWebServer a = backends.start(200, seen);
    MockWebServer b = backends.start(200, seen);
    source.endpoints("reviews", Backends.endpoint(a), Backends.endpoint(b));
    try (Response r = get("http://reviews/books/1?x=y")) {
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.request().url().toString()).isEqualTo("http://reviews/books/1?x=y");
      assertThat(r.body().string()).isIn("" + a.getPort(), "" + b.getPort());
    }
    RecordedRequest recorded = seen.poll();
    assertThat(recorded.getHeaders().get("Host")).isEqualTo("reviews");
    assertThat(recorded.getTarget()).isEqualTo("/books/1?x=y");
    assertThat(events.events("callEnded")).containsExactly("callEnded reviews.default COMPLETE");
  }

  @Test
  void namespacedAndClusterLocalHostsReachTheSameService() throws Exception {
    MockWebServer a = backends.start(200, seen);
    source.endpoints("reviews.prod", Backends.endpoint(a));
    for (String host : new String[] {"reviews.prod", "reviews.prod.svc.cluster.local"}) {
      try (Response r = get("http://" + host + ":8080/")) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
    assertThat(seen)
        .extracting(q -> q.getHeaders().get("Host"))
        .containsExactly("reviews.prod:8080", "reviews.prod.svc.cluster.local:8080");
  }

  @Test
  void routeHeaderModifiersApplyToTheOutgoingRequest() throws Exception {
    MockWebServer a = backends.start(200, seen);
    source.endpoints("web-v2", Backends.endpoint(a));
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("web")
                    .route(
                        Route.builder()
                            .backends(Backend.of("web-v2", 1))
                            .requestHeaders(
                                HeaderModifier.builder()
                                    .set("x-route", "canary")
                                    .add("x-tag", "b")
                                    .remove("x-debug")
                                    .build())
                            .build())
                    .build())
            .build());
    Request request =
        new Request.Builder()
            .url("http://web/")
            .header("x-debug", "1")
            .header("x-route", "old")
            .header("x-tag", "a")
            .build();
    client.newCall(request).execute().close();
    RecordedRequest recorded = seen.poll();
    assertThat(recorded.getHeaders().get("x-route")).isEqualTo("canary");
    assertThat(recorded.getHeaders().values("x-tag")).containsExactly("a", "b");
    assertThat(recorded.getHeaders().get("x-debug")).isNull();
  }

  @Test
  void aRoutesPathRewriteChangesTheOutgoingPathButNotTheApplicationsUrl() throws Exception {
    MockWebServer a = backends.start(200, seen);
    source.endpoints("admin", Backends.endpoint(a));
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("web")
                    .route(
                        Route.builder()
                            .match(
                                RequestMatch.builder().path(StringMatch.prefix("/admin")).build())
                            .backends(Backend.of("admin", 1))
                            .pathRewrite(PathRewrite.replacePrefix("/admin", "/"))
                            .build())
                    .build())
            .build());
    try (Response r = get("http://web/admin/users?page=2")) {
      assertThat(r.request().url().toString()).isEqualTo("http://web/admin/users?page=2");
    }
    assertThat(seen.poll().getTarget()).isEqualTo("/users?page=2");
  }

  @Test
  void propagatorsAddTheirHeadersToEveryAttempt() throws Exception {
    MockWebServer failing = backends.start(503, seen);
    MockWebServer healthy = backends.start(200, seen);
    Mesh propagating =
        Mesh.builder()
            .source(source)
            .balancer(Balancer.roundRobin())
            .propagator(
                new Propagator() {
                  @Override
                  public void inject(
                      MeshCall call, Attempt attempt, BiConsumer<String, String> headers) {
                    headers.accept("x-attempt", Integer.toString(attempt.number()));
                  }
                })
            .build();
    source.endpoints("web", Backends.endpoint(failing), Backends.endpoint(healthy));
    OkHttpClient c = MeshOkHttp.install(new OkHttpClient.Builder(), propagating).build();
    try (Response r = c.newCall(new Request.Builder().url("http://web/").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    assertThat(seen).extracting(q -> q.getHeaders().get("x-attempt")).containsExactly("1", "2");
    propagating.close();
  }

  @Test
  void aServiceWithNoEndpointsFailsFastWithAClearMessage() {
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews").route(Route.to(Backend.of("ratings", 1))).build())
            .build());
    assertThatThrownBy(() -> get("http://reviews/"))
        .isInstanceOf(MeshIOException.class)
        .hasMessage("no healthy endpoints for ratings.default (0 known)");
  }

  @Test
  void asynchronousCallsReportMeshErrorsToTheCallback() {
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews").route(Route.to(Backend.of("ratings", 1))).build())
            .build());
    AtomicReference<IOException> failure = new AtomicReference<>();
    client
        .newCall(new Request.Builder().url("http://reviews/").build())
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                failure.set(e);
              }

              @Override
              public void onResponse(Call call, Response response) {
                response.close();
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> failure.get() != null);
    assertThat(failure.get()).isInstanceOf(MeshIOException.class);
  }

  @Test
  void installingTwiceAddsOneInterceptor() {
    OkHttpClient.Builder builder = new OkHttpClient.Builder();
    MeshOkHttp.install(builder, mesh);
    MeshOkHttp.install(builder, mesh);
    assertThat(builder.interceptors()).hasSize(1);
    assertThat(builder.build().followRedirects()).isFalse();
  }
}
