package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Mesh;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.net.ProtocolException;
import java.util.concurrent.ConcurrentLinkedQueue;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RedirectTest {

  private final Backends backends = new Backends();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().source(source).listener(events).build();
  private final ConcurrentLinkedQueue<RecordedRequest> seen = new ConcurrentLinkedQueue<>();

  @AfterEach
  void close() {
    backends.close();
    mesh.close();
  }

  private OkHttpClient client(boolean followRedirects) {
    return MeshOkHttp.install(new OkHttpClient.Builder().followRedirects(followRedirects), mesh)
        .build();
  }

  private MockWebServer redirecting(String location) throws Exception {
    return backends.start(
        r -> {
          seen.add(r);
          return r.getUrl().encodedPath().equals("/start")
              ? new MockResponse.Builder().code(302).setHeader("Location", location).build()
              : new MockResponse.Builder().body("landed " + r.getUrl().encodedPath()).build();
        });
  }

  @Test
  void aRelativeRedirectIsRoutedThroughTheMeshAgain() throws Exception {
    MockWebServer a = redirecting("/landing");
    MockWebServer b = redirecting("/landing");
    source.endpoints("web", Backends.endpoint(a), Backends.endpoint(b));
    try (Response r =
        client(true).newCall(new Request.Builder().url("http://web/start").build()).execute()) {
      assertThat(r.body().string()).isEqualTo("landed /landing");
      assertThat(r.request().url().toString()).isEqualTo("http://web/landing");
      assertThat(r.priorResponse().code()).isEqualTo(302);
    }
    assertThat(seen).extracting(q -> q.getHeaders().get("Host")).containsExactly("web", "web");
    assertThat(events.calls()).hasSize(2);
  }

  @Test
  void anAbsoluteRedirectToAnotherServiceIsRoutedToThatService() throws Exception {
    MockWebServer web = redirecting("http://login/landing");
    MockWebServer login = redirecting("/unused");
    source.endpoints("web", Backends.endpoint(web));
    source.endpoints("login", Backends.endpoint(login));
    try (Response r =
        client(true).newCall(new Request.Builder().url("http://web/start").build()).execute()) {
      assertThat(r.body().string()).isEqualTo("landed /landing");
    }
    assertThat(events.calls()).extracting(c -> c.service().name()).containsExactly("web", "login");
  }

  @Test
  void aSeeOtherRedirectTurnsAPostIntoAGetWithoutBody() throws Exception {
    MockWebServer web = redirecting("/landing");
    source.endpoints("web", Backends.endpoint(web));
    Request post =
        new Request.Builder()
            .url("http://web/start")
            .post(RequestBody.create("x", MediaType.get("text/plain")))
            .build();
    client(true).newCall(post).execute().close();
    assertThat(seen).extracting(RecordedRequest::getMethod).containsExactly("POST", "GET");
  }

  @Test
  void withRedirectsOffTheRedirectIsReturned() throws Exception {
    source.endpoints("web", Backends.endpoint(redirecting("/landing")));
    try (Response r =
        client(false).newCall(new Request.Builder().url("http://web/start").build()).execute()) {
      assertThat(r.code()).isEqualTo(302);
    }
  }

  @Test
  void redirectsOfHostsOutsideTheMeshAreStillFollowed() throws Exception {
    MockWebServer target = redirecting("/x");
    MockWebServer origin = redirecting(target.url("/landing").toString());
    try (Response r =
        client(true).newCall(new Request.Builder().url(origin.url("/start")).build()).execute()) {
      assertThat(r.body().string()).isEqualTo("landed /landing");
    }
  }

  @Test
  void aRedirectLoopStopsAfterTwentyFollowUps() throws Exception {
    MockWebServer loop =
        backends.start(
            r -> new MockResponse.Builder().code(302).setHeader("Location", "/again").build());
    source.endpoints("web", Backends.endpoint(loop));
    assertThatThrownBy(
            () ->
                client(true)
                    .newCall(new Request.Builder().url("http://web/start").build())
                    .execute())
        .isInstanceOf(ProtocolException.class)
        .hasMessage("Too many follow-up requests: 21");
  }
}
