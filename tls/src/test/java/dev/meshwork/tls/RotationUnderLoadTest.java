package dev.meshwork.tls;

import static dev.meshwork.tls.HttpMtlsTest.PRODUCTPAGE;
import static dev.meshwork.tls.HttpMtlsTest.REVIEWS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.grpc.MeshGrpc;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.InMemorySource;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Handshake;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance run for rotation: both workloads' certificate files are rotated every 2 s (as
 * cert-manager's CSI driver writes them) for 30 s while OkHttp and gRPC clients keep calling. The
 * HTTP server closes every 20th connection and the gRPC server ages connections out after 1 s, so
 * new handshakes keep happening while older connections drain.
 */
class RotationUnderLoadTest {

  private static final Duration LOAD = Duration.ofSeconds(30);
  private static final Duration PERIOD = Duration.ofSeconds(2);
  private static final Duration IN_USE = Duration.ofSeconds(1);

  @TempDir Path serverDir;
  @TempDir Path clientDir;
  private final TestPki ca = TestPki.authority("cluster-ca");
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final ScheduledExecutorService rotator = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void close() throws Exception {
    rotator.shutdownNow();
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    closing.add(resource);
    return resource;
  }

  @Test
  void rotatingEveryTwoSecondsUnderLoadFailsNoRequestAndEachCertificateIsInUseWithinASecond()
      throws Exception {
    ca.workload(REVIEWS).writeCertManager(serverDir);
    ca.workload(PRODUCTPAGE).writeCertManager(clientDir);
    MeshTls serverTls = MeshTls.builder(FileIdentitySource.certManager(serverDir)).build();
    Mesh serverMesh = closing(Mesh.builder().transportSecurity(serverTls).build());
    MeshTls clientTls = MeshTls.builder(FileIdentitySource.certManager(clientDir)).build();
    InMemorySource endpoints = new InMemorySource();
    Mesh clientMesh =
        closing(Mesh.builder().source(endpoints).transportSecurity(clientTls).build());
    assertThat(serverTls.awaitIdentity(Duration.ofSeconds(10))).isTrue();
    assertThat(clientTls.awaitIdentity(Duration.ofSeconds(10))).isTrue();

    JettyServer http = closing(new JettyServer(serverTls.serverContext(), serverMesh));
    GrpcServer grpc =
        closing(
            new GrpcServer(
                MeshGrpc.serverCredentials(serverMesh),
                serverMesh,
                b ->
                    b.maxConnectionAge(1, TimeUnit.SECONDS)
                        .maxConnectionAgeGrace(10, TimeUnit.SECONDS)));
    endpoints.endpoints("reviews", Endpoint.of("127.0.0.1", http.port).withIdentity(REVIEWS));
    endpoints.endpoints("reviews-grpc", Endpoint.of("127.0.0.1", grpc.port).withIdentity(REVIEWS));

    List<X509Certificate> serverCertificatesSeen = new CopyOnWriteArrayList<>();
    OkHttpClient client =
        MeshOkHttp.install(
                new OkHttpClient.Builder()
                    .eventListener(
                        new EventListener() {
                          @Override
                          public void secureConnectEnd(Call call, Handshake handshake) {
                            serverCertificatesSeen.add(
                                (X509Certificate) handshake.peerCertificates().get(0));
                          }
                        }),
                clientMesh)
            .build();
    ManagedChannel channel = MeshGrpc.newChannelBuilder("mesh:///reviews-grpc", clientMesh).build();
    closing(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));

    AtomicInteger succeeded = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    List<String> slowRotations = new CopyOnWriteArrayList<>();
    AtomicInteger rotations = new AtomicInteger();
    long end = System.nanoTime() + LOAD.toNanos();

    rotator.scheduleAtFixedRate(
        () -> {
          if (System.nanoTime() + IN_USE.toNanos() > end) {
            return; // the load is about to stop: nothing would use the new certificate
          }
          TestPki.Workload server = ca.workload(REVIEWS);
          TestPki.Workload caller = ca.workload(PRODUCTPAGE);
          server.writeCertManager(serverDir);
          caller.writeCertManager(clientDir);
          long written = System.nanoTime();
          int n = rotations.incrementAndGet();
          try {
            // In use: the servers present the new certificate in new handshakes, the client
            // presents its new one; both seen from the other side of a handshake.
            await()
                .atMost(IN_USE)
                .pollInterval(Duration.ofMillis(10))
                .until(
                    () ->
                        serverCertificatesSeen.contains(server.certificate)
                            && http.clientCertificates.contains(caller.certificate));
          } catch (RuntimeException e) {
            slowRotations.add(
                "rotation "
                    + n
                    + ": server identity "
                    + serverTls.identity().leaf().equals(server.certificate)
                    + ", client identity "
                    + clientTls.identity().leaf().equals(caller.certificate)
                    + ", server cert seen "
                    + serverCertificatesSeen.contains(server.certificate)
                    + ", client cert seen "
                    + http.clientCertificates.contains(caller.certificate)
                    + " after "
                    + (System.nanoTime() - written) / 1_000_000
                    + " ms");
          }
        },
        PERIOD.toMillis(),
        PERIOD.toMillis(),
        TimeUnit.MILLISECONDS);

    List<CompletableFuture<Void>> load = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      load.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; System.nanoTime() < end; i++) {
                  String url = "http://reviews/hello" + (i % 20 == 0 ? "?close" : "");
                  try (Response r =
                      client.newCall(new Request.Builder().url(url).build()).execute()) {
                    if (r.code() == 200 && r.body().string().equals("hello " + PRODUCTPAGE)) {
                      succeeded.incrementAndGet();
                    } else {
                      failures.add("http " + r.code());
                    }
                  } catch (Exception e) {
                    failures.add("http " + e);
                  }
                }
              }));
      load.add(
          CompletableFuture.runAsync(
              () -> {
                while (System.nanoTime() < end) {
                  try {
                    String answer =
                        ClientCalls.blockingUnaryCall(
                            channel,
                            GrpcServer.SAY,
                            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                            "hi");
                    if (answer.equals("hello " + PRODUCTPAGE)) {
                      succeeded.incrementAndGet();
                    } else {
                      failures.add("grpc " + answer);
                    }
                  } catch (Exception e) {
                    failures.add("grpc " + e);
                  }
                }
              }));
    }
    CompletableFuture.allOf(load.toArray(new CompletableFuture<?>[0]))
        .get(LOAD.toSeconds() + 30, TimeUnit.SECONDS);
    rotator.shutdown();
    assertThat(rotator.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    assertThat(failures).isEmpty();
    assertThat(slowRotations).isEmpty();
    assertThat(rotations.get()).isGreaterThanOrEqualTo(13);
    assertThat(succeeded.get()).isGreaterThan(1000);
    // gRPC connections (aged out every second) were made again with the rotated certificates,
    // not resumed from sessions of the old ones.
    X509Certificate lastClient = clientTls.identity().leaf();
    await().atMost(Duration.ofSeconds(5)).until(() -> grpc.clientCertificates.contains(lastClient));
    assertThat(new java.util.HashSet<>(grpc.clientCertificates))
        .hasSizeGreaterThan(rotations.get() / 2);
    assertThat(grpc.connections.get()).isGreaterThan(10);
  }
}
