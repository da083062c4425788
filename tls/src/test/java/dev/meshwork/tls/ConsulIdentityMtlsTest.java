package dev.meshwork.tls;

import static dev.meshwork.tls.HttpMtlsTest.PRODUCTPAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.SpiffeId;
import dev.meshwork.consul.ConsulAgent;
import dev.meshwork.consul.ConsulIdentitySource;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.RecordingListener;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * A server whose identity comes from Consul Connect's CA (through {@link ConsulIdentitySource},
 * against a fake agent that answers blocking queries): mesh clients reach it over mTLS by its
 * Consul SPIFFE ID, and a new leaf from the agent is in use for new connections.
 */
class ConsulIdentityMtlsTest {

  private static final String WEB =
      "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web";

  private final TestPki ca = TestPki.authority("consul-ca");
  private final FakeAgent agent = new FakeAgent();
  private final MockWebServer consul = new MockWebServer();
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    consul.close();
  }

  @Test
  void aConsulConnectLeafSecuresTheServerAndANewLeafIsUsedForNewConnections() throws Exception {
    agent.leaf(ca.workload(WEB));
    consul.setDispatcher(agent);
    consul.start();
    RecordingListener events = new RecordingListener();
    MeshTls serverTls =
        MeshTls.builder(
                ConsulIdentitySource.builder(
                        ConsulAgent.builder("http://127.0.0.1:" + consul.getPort()).build(), "web")
                    .wait(Duration.ofSeconds(30))
                    .build())
            .build();
    Mesh serverMesh = Mesh.builder().listener(events).transportSecurity(serverTls).build();
    closing.add(serverMesh);
    assertThat(serverTls.awaitIdentity(Duration.ofSeconds(10))).isTrue();
    assertThat(serverTls.localIdentity()).isEqualTo(SpiffeId.parse(WEB));
    JettyServer web = new JettyServer(serverTls.serverContext(), serverMesh);
    closing.add(web);
    MeshWorkload client =
        new MeshWorkload(ca.workload(PRODUCTPAGE).identity())
            .endpoints("web", Endpoint.of("127.0.0.1", web.port).withIdentity(WEB));
    closing.add(client);
    OkHttpClient http = MeshOkHttp.install(new OkHttpClient.Builder(), client.mesh).build();

    assertThat(serverCertificate(http)).isEqualTo(agent.current.certificate);

    TestPki.Workload renewed = ca.workload(WEB);
    agent.leaf(renewed);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> serverTls.identity().leaf().equals(renewed.certificate));
    assertThat(events.events("identityUpdated")).hasSize(2);
    assertThat(serverCertificate(http)).isEqualTo(renewed.certificate);
  }

  private static X509Certificate serverCertificate(OkHttpClient http) throws Exception {
    try (Response r =
        http.newCall(new Request.Builder().url("http://web/hello?close").build()).execute()) {
      assertThat(r.body().string()).isEqualTo("hello " + PRODUCTPAGE);
      return (X509Certificate) r.handshake().peerCertificates().get(0);
    }
  }

  /** The agent's Connect CA endpoints, with blocking queries on the leaf. */
  private final class FakeAgent extends Dispatcher {
    private final Object lock = new Object();
    private volatile TestPki.Workload current;
    private long index = 1;
    private volatile boolean closed;

    @Override
    public void close() {
      closed = true;
    }

    void leaf(TestPki.Workload w) {
      synchronized (lock) {
        current = w;
        index++;
        lock.notifyAll();
      }
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
      String path = request.getUrl().encodedPath();
      String asked = request.getUrl().queryParameter("index");
      long at;
      String body;
      synchronized (lock) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (asked != null
            && Long.parseLong(asked) >= index
            && !closed
            && System.nanoTime() < deadline) {
          lock.wait(50);
        }
        at = index;
        body =
            path.endsWith("/roots")
                ? "{\"ActiveRootID\": \"r1\", \"TrustDomain\": \"11111111-2222-3333-4444-555555555555.consul\","
                    + " \"Roots\": [{\"ID\": \"r1\", \"Active\": true, \"RootCert\": "
                    + json(TestPki.pem(ca.certificate))
                    + "}]}"
                : "{\"SerialNumber\": \""
                    + current.certificate.getSerialNumber()
                    + "\", \"CertPEM\": "
                    + json(current.certificatePem())
                    + ", \"PrivateKeyPEM\": "
                    + json(current.traditionalPem())
                    + ", \"Service\": \"web\", \"ServiceURI\": \""
                    + WEB
                    + "\"}";
      }
      return new MockResponse.Builder()
          .addHeader("Content-Type", "application/json")
          .addHeader("X-Consul-Index", Long.toString(at))
          .body(body)
          .build();
    }
  }

  private static String json(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "") + "\"";
  }
}
