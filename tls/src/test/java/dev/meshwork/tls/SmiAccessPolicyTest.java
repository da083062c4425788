package dev.meshwork.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Endpoint;
import dev.meshwork.SpiffeId;
import dev.meshwork.grpc.MeshGrpc;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.smi.SmiFileSource;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every TrafficTarget example of the SMI spec, enforced for real: the server's mesh reads the
 * fixture files with {@link SmiFileSource}, serves over mTLS behind the servlet filter (and the
 * gRPC interceptor), and clients with the source service accounts' certificates call it. Each
 * example gives the allow/deny table in its comment; deleting the TrafficTarget restores the
 * default (allow).
 */
class SmiAccessPolicyTest {

  private static final Duration BOUND = Duration.ofSeconds(10);

  @TempDir Path dir;
  private final TestPki ca = TestPki.authority("cluster-ca");
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final Map<String, OkHttpClient> clients = new LinkedHashMap<>();
  private MeshWorkload server;
  private JettyServer jetty;
  private String destination;

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private static String sa(String name) {
    return SpiffeId.kubernetes("cluster.local", "default", name).toString();
  }

  private void copy(String fixture) throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/smi/spec/" + fixture)) {
      Files.write(dir.resolve(fixture), in.readAllBytes());
    }
  }

  /** Starts the destination workload with the fixtures' policy, and clients for each source. */
  private void start(String destinationAccount, String... sourceAccounts) throws Exception {
    destination = destinationAccount;
    server =
        new MeshWorkload(
            ca.workload(sa(destinationAccount)).identity(),
            t -> {},
            m ->
                m.source(
                    SmiFileSource.builder(dir).rescanInterval(Duration.ofMillis(200)).build()));
    closing.add(server);
    await().atMost(BOUND).until(() -> !server.mesh.snapshot().accessPolicy().rules().isEmpty());
    jetty = new JettyServer(server.tls.serverContext(), server.mesh);
    closing.add(jetty);
    for (String account : sourceAccounts) {
      MeshWorkload client = new MeshWorkload(ca.workload(sa(account)).identity());
      closing.add(client);
      client.endpoints(
          destinationAccount,
          Endpoint.of("127.0.0.1", jetty.port).withIdentity(sa(destinationAccount)));
      clients.put(account, MeshOkHttp.install(new OkHttpClient.Builder(), client.mesh).build());
    }
  }

  private int call(String source, String method, String path) throws IOException {
    RequestBody body =
        method.equals("GET") ? null : RequestBody.create("{}", MediaType.get("application/json"));
    Request request =
        new Request.Builder().url("http://" + destination + path).method(method, body).build();
    try (Response r = clients.get(source).newCall(request).execute()) {
      return r.code();
    }
  }

  /** Rows of (source, method, path, expected status). */
  private void assertTable(Object[][] table) throws IOException {
    List<String> actual = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (Object[] row : table) {
      String prefix = row[0] + " " + row[1] + " " + row[2] + " -> ";
      expected.add(prefix + row[3]);
      actual.add(prefix + call((String) row[0], (String) row[1], (String) row[2]));
    }
    assertThat(actual).containsExactlyElementsOf(expected);
  }

  private void awaitNoRules() {
    await().atMost(BOUND).until(() -> server.mesh.snapshot().accessPolicy().rules().isEmpty());
  }

  @Test
  void v1alpha1AndV1alpha2AllowPrometheusToGetMetricsOnlyUntilTheTargetIsDeleted()
      throws Exception {
    for (String version : List.of("v1alpha1", "v1alpha2")) {
      close();
      closing.clear();
      clients.clear();
      for (Path p : Files.list(dir).toList()) {
        Files.delete(p);
      }
      copy("httproutegroup-v1alpha1.yaml");
      copy("traffictarget-" + version + ".yaml");
      start("service-a", "prometheus", "intruder");

      assertTable(
          new Object[][] {
            {"prometheus", "GET", "/metrics", 200},
            {"prometheus", "POST", "/metrics", 403},
            {"prometheus", "GET", "/ping", 403},
            {"intruder", "GET", "/metrics", 403},
          });
      assertThat(server.events.events("accessDenied")).hasSize(3);

      Files.delete(dir.resolve("traffictarget-" + version + ".yaml"));
      awaitNoRules();
      assertTable(
          new Object[][] {
            {"prometheus", "GET", "/ping", 200},
            {"intruder", "GET", "/metrics", 200},
          });
    }
  }

  @Test
  void v1alpha3L7AllowsExactlyTheSpecTableUntilTheTargetsAreDeleted() throws Exception {
    copy("traffictarget-v1alpha3-l7.yaml");
    start("api-service", "website-service", "payments-service", "prometheus", "intruder");

    assertTable(
        new Object[][] {
          {"website-service", "GET", "/api", 200},
          {"website-service", "PUT", "/api", 200},
          {"website-service", "GET", "/metrics", 403},
          {"payments-service", "POST", "/api", 200},
          {"payments-service", "DELETE", "/api", 200},
          {"payments-service", "GET", "/metrics", 403},
          {"prometheus", "GET", "/metrics", 200},
          {"prometheus", "POST", "/metrics", 403},
          {"prometheus", "GET", "/api", 403},
          {"intruder", "GET", "/api", 403},
          {"intruder", "GET", "/metrics", 403},
        });

    removeTrafficTargets("traffictarget-v1alpha3-l7.yaml");
    awaitNoRules();
    assertTable(
        new Object[][] {
          {"intruder", "GET", "/api", 200},
          {"prometheus", "GET", "/api", 200},
        });
  }

  @Test
  void v1alpha3L4AllowsTheClientAnyRequestOverHttpAndGrpcAndNobodyElse() throws Exception {
    copy("traffictarget-v1alpha3-l4.yaml");
    start("server", "client", "intruder");
    GrpcServer grpc = new GrpcServer(MeshGrpc.serverCredentials(server.mesh), server.mesh);
    closing.add(grpc);

    assertTable(
        new Object[][] {
          {"client", "GET", "/", 200},
          {"client", "POST", "/anything", 200},
          {"intruder", "GET", "/", 403},
        });
    assertThat(grpcCall("client", grpc)).isEqualTo(Status.Code.OK);
    assertThat(grpcCall("intruder", grpc)).isEqualTo(Status.Code.PERMISSION_DENIED);

    removeTrafficTargets("traffictarget-v1alpha3-l4.yaml");
    awaitNoRules();
    assertTable(new Object[][] {{"intruder", "GET", "/", 200}});
    assertThat(grpcCall("intruder", grpc)).isEqualTo(Status.Code.OK);
  }

  private Status.Code grpcCall(String source, GrpcServer grpc) throws Exception {
    MeshWorkload client = new MeshWorkload(ca.workload(sa(source)).identity());
    closing.add(client);
    client.endpoints(
        destination, Endpoint.of("127.0.0.1", grpc.port).withIdentity(sa(destination)));
    ManagedChannel channel =
        MeshGrpc.newChannelBuilder("mesh:///" + destination, client.mesh).build();
    closing.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    try {
      ClientCalls.blockingUnaryCall(
          channel,
          GrpcServer.SAY,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          "hi");
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** Deletes the file's TrafficTarget documents and keeps the routes they referenced. */
  private void removeTrafficTargets(String fixture) throws IOException {
    Path file = dir.resolve(fixture);
    List<String> kept = new ArrayList<>();
    for (String doc : Files.readString(file).split("(?m)^---$")) {
      if (!doc.contains("kind: TrafficTarget")) {
        kept.add(doc);
      }
    }
    Path next = dir.resolve(fixture + ".tmp");
    Files.writeString(next, String.join("---", kept));
    Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
