package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Balancer;
import dev.meshwork.Mesh;
import dev.meshwork.testing.InMemorySource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.concurrent.ConcurrentLinkedQueue;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.Call;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.EventListener;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Routed requests keep their logical URL while their connections go to the chosen endpoints. */
class ConnectionSteeringTest {

  private final Backends backends = new Backends();
  private final InMemorySource source = new InMemorySource();
  private final Mesh mesh = Mesh.builder().source(source).balancer(Balancer.roundRobin()).build();
  private final ConcurrentLinkedQueue<RecordedRequest> seenA = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<RecordedRequest> seenB = new ConcurrentLinkedQueue<>();

  @AfterEach
  void close() {
    backends.close();
    mesh.close();
  }

  @Test
  void anOuterInterceptorSendingTwiceOnOneCallReachesBothChosenEndpoints() throws Exception {
    MockWebServer a = backends.start(200, seenA);
    MockWebServer b = backends.start(200, seenB);
    source.endpoints("web", Backends.endpoint(a), Backends.endpoint(b));
    OkHttpClient client =
        MeshOkHttp.install(
                new OkHttpClient.Builder()
                    .addInterceptor(
                        chain -> {
                          chain.proceed(chain.request()).close();
                          return chain.proceed(chain.request());
                        }),
                mesh)
            .build();
    for (int i = 0; i < 4; i++) {
      client.newCall(new Request.Builder().url("http://web/x").build()).execute().close();
    }
    // Round robin alternates endpoints, so every call's two exchanges go to different servers.
    assertThat(seenA).hasSize(4);
    assertThat(seenB).hasSize(4);
    assertThat(seenA).allMatch(r -> "web".equals(r.getHeaders().get("Host")));
    assertThat(seenB).allMatch(r -> "web".equals(r.getHeaders().get("Host")));
  }

  @Test
  void theClientsDnsStillResolvesOtherHostsWhileRoutedLookupsAnswerWithTheEndpoint()
      throws Exception {
    MockWebServer a = backends.start(200, seenA);
    MockWebServer other = backends.start(200, seenB);
    source.endpoints("web", Backends.endpoint(a));
    ConcurrentLinkedQueue<String> asked = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> resolved = new ConcurrentLinkedQueue<>();
    OkHttpClient client =
        MeshOkHttp.install(
                new OkHttpClient.Builder()
                    .dns(
                        host -> {
                          asked.add(host);
                          return java.util.List.of(InetAddress.getLoopbackAddress());
                        })
                    .eventListener(
                        new EventListener() {
                          @Override
                          public void dnsEnd(
                              Call call, String domainName, java.util.List<InetAddress> found) {
                            resolved.add(domainName + " " + found);
                          }
                        }),
                mesh)
            .build();

    try (Response r = client.newCall(new Request.Builder().url("http://web/x").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    String elsewhere = "http://other.example:" + other.getPort() + "/y";
    try (Response r = client.newCall(new Request.Builder().url(elsewhere).build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }

    assertThat(asked).containsExactly("other.example"); // never asked about the service name
    assertThat(resolved)
        .containsExactly(
            "web [/127.0.0.1]", "other.example [" + InetAddress.getLoopbackAddress() + "]");
    assertThat(seenA).hasSize(1);
    assertThat(seenB).hasSize(1);
  }

  @Test
  void aDnsSetAfterInstallingLeavesRoutingIntactForBlockingAndAsynchronousCalls() throws Exception {
    MockWebServer a = backends.start(200, seenA);
    MockWebServer b = backends.start(200, seenB);
    source.endpoints("web", Backends.endpoint(a), Backends.endpoint(b));
    OkHttpClient client =
        MeshOkHttp.install(new OkHttpClient.Builder(), mesh)
            .dns(
                host -> {
                  throw new java.net.UnknownHostException("no DNS here: " + host);
                })
            .build();

    for (int i = 0; i < 2; i++) {
      client.newCall(new Request.Builder().url("http://web/x").build()).execute().close();
    }
    java.util.concurrent.CompletableFuture<Integer> async =
        new java.util.concurrent.CompletableFuture<>();
    client
        .newCall(new Request.Builder().url("http://web/x").build())
        .enqueue(
            new okhttp3.Callback() {
              @Override
              public void onFailure(Call call, java.io.IOException e) {
                async.completeExceptionally(e);
              }

              @Override
              public void onResponse(Call call, Response response) {
                response.close();
                async.complete(response.code());
              }
            });

    assertThat(async.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
    assertThat(seenA.size() + seenB.size()).isEqualTo(3);
    assertThat(seenA).isNotEmpty();
    assertThat(seenB).isNotEmpty();
  }

  @Test
  void cookiesAreKeptForTheLogicalHost() throws Exception {
    MockWebServer a = backends.start(200, seenA);
    source.endpoints("web", Backends.endpoint(a));
    ConcurrentLinkedQueue<HttpUrl> cookieUrls = new ConcurrentLinkedQueue<>();
    OkHttpClient client =
        MeshOkHttp.install(
                new OkHttpClient.Builder()
                    .cookieJar(
                        new CookieJar() {
                          @Override
                          public void saveFromResponse(HttpUrl url, java.util.List<Cookie> c) {}

                          @Override
                          public java.util.List<Cookie> loadForRequest(HttpUrl url) {
                            cookieUrls.add(url);
                            return java.util.List.of();
                          }
                        }),
                mesh)
            .build();
    client.newCall(new Request.Builder().url("http://web/x").build()).execute().close();
    assertThat(cookieUrls).extracting(HttpUrl::host).containsExactly("web");
  }

  @Test
  void aClientProxyStillServesPassThroughRequestsButNotRoutedOnes() throws Exception {
    MockWebServer proxy = backends.start(200, seenA);
    MockWebServer endpoint = backends.start(200, seenB);
    source.endpoints("web", Backends.endpoint(endpoint));
    OkHttpClient client =
        MeshOkHttp.install(
                new OkHttpClient.Builder()
                    .proxy(
                        new Proxy(
                            Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", proxy.getPort()))),
                mesh)
            .build();
    try (Response r =
        client.newCall(new Request.Builder().url("http://outside.test/y").build()).execute()) {
      assertThat(r.code()).isEqualTo(200);
    }
    client.newCall(new Request.Builder().url("http://web/x").build()).execute().close();
    assertThat(seenA)
        .extracting(RecordedRequest::getTarget)
        .containsExactly("http://outside.test/y");
    assertThat(seenB).extracting(RecordedRequest::getTarget).containsExactly("/x");
  }
}
