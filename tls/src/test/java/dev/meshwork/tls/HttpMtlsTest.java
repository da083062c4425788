package dev.meshwork.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.AccessRule;
import dev.meshwork.Balancer;
import dev.meshwork.Endpoint;
import dev.meshwork.IdentityMatch;
import dev.meshwork.MeshConfig;
import dev.meshwork.ServiceConfig;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity.Mode;
import dev.meshwork.X509Identity;
import dev.meshwork.okhttp.MeshOkHttp;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** OkHttp mesh clients and Jetty servers with the servlet filter, over mTLS on 127.0.0.1. */
class HttpMtlsTest {

  static final String REVIEWS = "spiffe://cluster.local/ns/default/sa/reviews";
  static final String PRODUCTPAGE = "spiffe://cluster.local/ns/default/sa/productpage";
  static final String RATINGS = "spiffe://cluster.local/ns/default/sa/ratings";
  static final String INTRUDER = "spiffe://cluster.local/ns/default/sa/intruder";

  private final TestPki ca = TestPki.authority("mesh-ca");
  private final TestPki attacker = TestPki.authority("attacker-ca");
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    closing.add(resource);
    return resource;
  }

  private MeshWorkload workload(X509Identity identity) {
    return closing(new MeshWorkload(identity));
  }

  private JettyServer jetty(MeshWorkload server) throws Exception {
    return closing(new JettyServer(server.tls.serverContext(), server.mesh));
  }

  private static OkHttpClient http(MeshWorkload client) {
    return MeshOkHttp.install(new OkHttpClient.Builder(), client.mesh).build();
  }

  private static String get(OkHttpClient http, String url) throws IOException {
    try (Response r = http.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.code() + " " + r.body().string();
    }
  }

  private static Endpoint endpoint(JettyServer server, String identity) {
    return Endpoint.of("127.0.0.1", server.port).withIdentity(identity);
  }

  @Test
  void aMeshClientAndAMeshServerAuthenticateEachOtherByIdentity() throws Exception {
    JettyServer reviews = jetty(workload(ca.workload(REVIEWS).identity()));
    MeshWorkload client =
        workload(ca.workload(PRODUCTPAGE).identity())
            .endpoints("reviews", endpoint(reviews, REVIEWS));

    try (Response r =
        http(client).newCall(new Request.Builder().url("http://reviews/hello").build()).execute()) {
      assertThat(r.body().string()).isEqualTo("hello " + PRODUCTPAGE);
      assertThat(r.request().url().toString()).isEqualTo("http://reviews/hello");
      X509Certificate server = (X509Certificate) r.handshake().peerCertificates().get(0);
      assertThat(X509Identity.spiffeIdOf(server)).isEqualTo(SpiffeId.parse(REVIEWS));
    }
    assertThat(reviews.lastClient()).isEqualTo(SpiffeId.parse(PRODUCTPAGE));
  }

  @Test
  void theServerRefusesClientsWithoutCertificateFromAnotherCaWithoutSpiffeIdOrExpired()
      throws Exception {
    JettyServer reviews = jetty(workload(ca.workload(REVIEWS).identity()));
    Instant now = Instant.now();
    List<TestPki.Workload> rogues = new ArrayList<>();
    rogues.add(null);
    rogues.add(attacker.workload(PRODUCTPAGE));
    rogues.add(ca.workload(null));
    rogues.add(ca.workload(PRODUCTPAGE, now.minus(Duration.ofHours(2)), Duration.ofHours(1)));

    for (TestPki.Workload rogue : rogues) {
      SSLContext context = PeerContexts.client(rogue, ca, REVIEWS);
      OkHttpClient http =
          new OkHttpClient.Builder()
              .sslSocketFactory(context.getSocketFactory(), PeerContexts.serverTrust(ca, REVIEWS))
              .hostnameVerifier(PeerContexts.identity(REVIEWS))
              .build();

      assertThatThrownBy(() -> get(http, "https://127.0.0.1:" + reviews.port + "/hello"))
          .as("client %s", rogue == null ? "without certificate" : rogue.certificate)
          .isInstanceOf(IOException.class);
    }
    assertThat(reviews.served).hasValue(0);
    assertThat(reviews.handshakes).hasValue(0);
  }

  @Test
  void aClientWithAnotherSpiffeIdIsDeniedByTheAccessPolicyWith403AndTheReason() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    server.source.config(
        MeshConfig.builder()
            .accessRule(
                AccessRule.allow(
                        IdentityMatch.serviceAccount("default", "productpage"),
                        IdentityMatch.serviceAccount("default", "reviews"))
                    .withOrigin("reviews-access.yaml"))
            .build());
    JettyServer reviews = jetty(server);
    Endpoint endpoint = endpoint(reviews, REVIEWS);
    OkHttpClient productpage =
        http(workload(ca.workload(PRODUCTPAGE).identity()).endpoints("reviews", endpoint));
    OkHttpClient intruder =
        http(workload(ca.workload(INTRUDER).identity()).endpoints("reviews", endpoint));

    assertThat(get(productpage, "http://reviews/hello")).isEqualTo("200 hello " + PRODUCTPAGE);
    assertThat(get(intruder, "http://reviews/hello"))
        .isEqualTo(
            "403 access denied: no access rule allows "
                + INTRUDER
                + " to GET /hello on "
                + REVIEWS
                + "\n");
    assertThat(server.events.events("accessDenied")).hasSize(1);
    assertThat(reviews.served).hasValue(1);
  }

  @Test
  void theClientRefusesServersWithAnotherIdentityFromAnotherCaExpiredOrWithoutSpiffeId()
      throws Exception {
    Instant now = Instant.now();
    List<JettyServer> rogues = new ArrayList<>();
    rogues.add(jetty(workload(ca.workload(RATINGS).identity())));
    rogues.add(jetty(workload(attacker.workload(REVIEWS).identity(attacker, ca))));
    rogues.add(
        jetty(
            workload(
                ca.workload(REVIEWS, now.minus(Duration.ofHours(2)), Duration.ofHours(1))
                    .identity())));
    rogues.add(closing(new JettyServer(PeerContexts.server(ca.workload(null), ca), null)));

    for (JettyServer rogue : rogues) {
      OkHttpClient client =
          http(
              workload(ca.workload(PRODUCTPAGE).identity())
                  .endpoints("reviews", endpoint(rogue, REVIEWS)));

      assertThatThrownBy(() -> get(client, "http://reviews/hello")).isInstanceOf(IOException.class);
      assertThat(rogue.served).hasValue(0);
    }
    OkHttpClient client =
        http(
            workload(ca.workload(PRODUCTPAGE).identity())
                .endpoints("reviews", endpoint(rogues.get(0), REVIEWS)));
    assertThatThrownBy(() -> get(client, "http://reviews/hello"))
        .hasStackTraceContaining("server presented identity " + RATINGS + ", expected " + REVIEWS);
  }

  @Test
  void permissiveModeTalksToAPlaintextAndAnMtlsEndpointOfTheSameService() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    JettyServer secure = jetty(server);
    JettyServer plain = closing(new JettyServer(null, server.mesh));
    MeshWorkload client =
        closing(
            new MeshWorkload(
                ca.workload(PRODUCTPAGE).identity(),
                t -> t.mode("reviews", Mode.PERMISSIVE),
                m -> {}));
    client.source.config(roundRobin());
    client.endpoints("reviews", endpoint(secure, REVIEWS), Endpoint.of("127.0.0.1", plain.port));
    OkHttpClient http = http(client);

    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      answers.add(get(http, "http://reviews/hello"));
    }

    assertThat(answers).containsOnly("200 hello " + PRODUCTPAGE, "200 hello anonymous");
    assertThat(secure.served).hasValue(5);
    assertThat(plain.served).hasValue(5);
    assertThat(secure.handshakes).hasValue(1);
  }

  @Test
  void strictModeNeverSendsToAnEndpointWithoutKnownIdentity() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    JettyServer secure = jetty(server);
    JettyServer plain = closing(new JettyServer(null, server.mesh));
    MeshWorkload client = workload(ca.workload(PRODUCTPAGE).identity());
    client.source.config(roundRobin());
    client.endpoints("reviews", endpoint(secure, REVIEWS), Endpoint.of("127.0.0.1", plain.port));
    OkHttpClient http = http(client);

    for (int i = 0; i < 10; i++) {
      assertThat(get(http, "http://reviews/hello")).isEqualTo("200 hello " + PRODUCTPAGE);
    }

    assertThat(plain.served).hasValue(0);
    assertThat(secure.served).hasValue(10);
  }

  @Test
  void afterARotationNewConnectionsPresentTheNewCertificatesInsteadOfResumingOldSessions()
      throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    JettyServer reviews = jetty(server);
    MeshWorkload client =
        workload(ca.workload(PRODUCTPAGE).identity())
            .endpoints("reviews", endpoint(reviews, REVIEWS));
    List<X509Certificate> serverCertificates = new java.util.concurrent.CopyOnWriteArrayList<>();
    OkHttpClient http =
        MeshOkHttp.install(
                new OkHttpClient.Builder()
                    .eventListener(
                        new okhttp3.EventListener() {
                          @Override
                          public void secureConnectEnd(okhttp3.Call call, okhttp3.Handshake h) {
                            serverCertificates.add((X509Certificate) h.peerCertificates().get(0));
                          }
                        }),
                client.mesh)
            .build();
    get(http, "http://reviews/hello?close");
    get(http, "http://reviews/hello?close"); // the JDK may resume the first session here

    TestPki.Workload newClient = ca.workload(PRODUCTPAGE);
    TestPki.Workload newServer = ca.workload(REVIEWS);
    client.identity.push(newClient.identity());
    server.identity.push(newServer.identity());
    get(http, "http://reviews/hello?close");

    assertThat(reviews.clientCertificates.get(reviews.clientCertificates.size() - 1))
        .isEqualTo(newClient.certificate);
    assertThat(serverCertificates.get(serverCertificates.size() - 1))
        .isEqualTo(newServer.certificate);
  }

  @Test
  void handshakesStayFlatUnderSteadyLoadBecauseConnectionsArePooledPerEndpoint() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    JettyServer one = jetty(server);
    JettyServer two = jetty(server);
    MeshWorkload client =
        workload(ca.workload(PRODUCTPAGE).identity())
            .endpoints("reviews", endpoint(one, REVIEWS), endpoint(two, REVIEWS));
    OkHttpClient http = http(client);

    for (int i = 0; i < 100; i++) {
      get(http, "http://reviews/hello");
    }
    assertThat(one.handshakes.get() + two.handshakes.get()).isBetween(1, 2);

    load(http, 600, 4);

    // Connections, so handshakes, are bounded by concurrency (4 threads, 2 endpoints), not by
    // the number of requests.
    assertThat(one.handshakes.get() + two.handshakes.get()).isLessThanOrEqualTo(8);
    assertThat(one.served.get() + two.served.get()).isEqualTo(700);
  }

  private static void load(OkHttpClient http, int requests, int threads) throws Exception {
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      workers.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < requests / threads; i++) {
                  try {
                    assertThat(get(http, "http://reviews/hello")).startsWith("200");
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                }
              }));
    }
    CompletableFuture.allOf(workers.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
  }

  @Test
  void aHedgedBackupGoesOutOverMtlsToo() throws Exception {
    JettyServer stalled = jetty(workload(ca.workload(REVIEWS).identity()));
    JettyServer healthy = jetty(workload(ca.workload(REVIEWS).identity()));
    stalled.stall = new CountDownLatch(1);
    MeshWorkload client =
        closing(
            new MeshWorkload(
                ca.workload(PRODUCTPAGE).identity(),
                t -> {},
                m -> m.hedging(call -> TimeUnit.MILLISECONDS.toNanos(20))));
    client.source.config(roundRobin());
    client.endpoints("reviews", endpoint(stalled, REVIEWS), endpoint(healthy, REVIEWS));
    OkHttpClient http = http(client);

    for (int i = 0; i < 4; i++) {
      try (Response r =
          http.newCall(new Request.Builder().url("http://reviews/hello").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.body().string()).isEqualTo("hello " + PRODUCTPAGE);
        assertThat(r.request().url().toString()).isEqualTo("http://reviews/hello");
        X509Certificate server = (X509Certificate) r.handshake().peerCertificates().get(0);
        assertThat(X509Identity.spiffeIdOf(server)).isEqualTo(SpiffeId.parse(REVIEWS));
      }
    }

    // Every answer came from the healthy server; the calls whose first attempt stalled were
    // rescued by backups, which were mutually authenticated like any attempt.
    assertThat(client.events.attempts()).anyMatch(a -> a.isBackup());
    assertThat(healthy.served).hasValue(4);
    assertThat(healthy.clientCertificates)
        .allMatch(c -> SpiffeId.parse(PRODUCTPAGE).equals(X509Identity.spiffeIdOf(c)));
    assertThat(stalled.lastClient()).isEqualTo(SpiffeId.parse(PRODUCTPAGE));
  }

  private static MeshConfig roundRobin() {
    return MeshConfig.builder()
        .service(ServiceConfig.builder("reviews").balancer(Balancer.roundRobin()).build())
        .build();
  }
}
