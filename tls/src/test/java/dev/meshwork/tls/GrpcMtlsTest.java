package dev.meshwork.tls;

import static dev.meshwork.tls.HttpMtlsTest.INTRUDER;
import static dev.meshwork.tls.HttpMtlsTest.PRODUCTPAGE;
import static dev.meshwork.tls.HttpMtlsTest.RATINGS;
import static dev.meshwork.tls.HttpMtlsTest.REVIEWS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.meshwork.AccessRule;
import dev.meshwork.Balancer;
import dev.meshwork.Endpoint;
import dev.meshwork.IdentityMatch;
import dev.meshwork.MeshConfig;
import dev.meshwork.ServiceConfig;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity;
import dev.meshwork.X509Identity;
import dev.meshwork.grpc.MeshGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** gRPC mesh channels and Netty servers with the server interceptor, over mTLS on 127.0.0.1. */
class GrpcMtlsTest {

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

  private GrpcServer serve(MeshWorkload server) throws Exception {
    return closing(new GrpcServer(MeshGrpc.serverCredentials(server.mesh), server.mesh));
  }

  private ManagedChannel channel(MeshWorkload client) {
    ManagedChannel c = MeshGrpc.newChannelBuilder("mesh:///reviews", client.mesh).build();
    closing(() -> c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return c;
  }

  private static String say(Channel channel) {
    return ClientCalls.blockingUnaryCall(
        channel, GrpcServer.SAY, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hi");
  }

  private static Status failure(Channel channel) {
    return catchThrowableOfType(StatusRuntimeException.class, () -> say(channel)).getStatus();
  }

  private static Endpoint endpoint(GrpcServer server, String identity) {
    return Endpoint.of("127.0.0.1", server.port).withIdentity(identity);
  }

  @Test
  void aMeshChannelAndAMeshServerAuthenticateEachOtherAndCallsKeepTheLogicalAuthority()
      throws Exception {
    GrpcServer reviews = serve(workload(ca.workload(REVIEWS).identity()));
    MeshWorkload client =
        workload(ca.workload(PRODUCTPAGE).identity())
            .endpoints("reviews", endpoint(reviews, REVIEWS));

    // grpc-netty verifies a call authority that differs from its connection's (the endpoint's)
    // through the channel's trust manager, and logs a warning when that fails.
    Logger netty = Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler");
    List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            warnings.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    netty.addHandler(capture);
    try {
      assertThat(say(channel(client))).isEqualTo("hello " + PRODUCTPAGE);
    } finally {
      netty.removeHandler(capture);
    }

    assertThat(reviews.lastClient()).isEqualTo(SpiffeId.parse(PRODUCTPAGE));
    assertThat(reviews.authorities).containsExactly("reviews");
    assertThat(warnings).extracting(LogRecord::getMessage).isEmpty();
  }

  @Test
  void theServerRefusesClientsWithoutCertificateFromAnotherCaWithoutSpiffeIdOrExpired()
      throws Exception {
    GrpcServer reviews = serve(workload(ca.workload(REVIEWS).identity()));
    Instant now = Instant.now();
    List<TestPki.Workload> rogues = new ArrayList<>();
    rogues.add(null);
    rogues.add(attacker.workload(PRODUCTPAGE));
    rogues.add(ca.workload(null));
    rogues.add(ca.workload(PRODUCTPAGE, now.minus(Duration.ofHours(2)), Duration.ofHours(1)));

    for (TestPki.Workload rogue : rogues) {
      TlsChannelCredentials.Builder credentials =
          TlsChannelCredentials.newBuilder().trustManager(PeerContexts.serverTrust(ca, REVIEWS));
      if (rogue != null) {
        credentials.keyManager(PeerContexts.keyManagers(rogue));
      }
      ManagedChannel direct =
          Grpc.newChannelBuilderForAddress("127.0.0.1", reviews.port, credentials.build()).build();
      closing(() -> direct.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));

      assertThat(failure(direct).getCode())
          .as("client %s", rogue == null ? "without certificate" : rogue.certificate)
          .isEqualTo(Status.Code.UNAVAILABLE);
    }
    assertThat(reviews.served).hasValue(0);
    assertThat(reviews.connections).hasValue(0);
  }

  @Test
  void aClientWithAnotherSpiffeIdIsDeniedByTheAccessPolicyWithPermissionDeniedAndTheReason()
      throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    server.source.config(
        MeshConfig.builder()
            .accessRule(
                AccessRule.allow(
                        IdentityMatch.serviceAccount("default", "productpage"),
                        IdentityMatch.serviceAccount("default", "reviews"))
                    .withOrigin("reviews-access.yaml"))
            .build());
    GrpcServer reviews = serve(server);
    Endpoint endpoint = endpoint(reviews, REVIEWS);
    ManagedChannel productpage =
        channel(workload(ca.workload(PRODUCTPAGE).identity()).endpoints("reviews", endpoint));
    ManagedChannel intruder =
        channel(workload(ca.workload(INTRUDER).identity()).endpoints("reviews", endpoint));

    assertThat(say(productpage)).isEqualTo("hello " + PRODUCTPAGE);
    Status denied = failure(intruder);
    assertThat(denied.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(denied.getDescription())
        .isEqualTo("no access rule allows " + INTRUDER + " to POST /test.Hello/Say on " + REVIEWS);
    assertThat(server.events.events("accessDenied")).hasSize(1);
    assertThat(reviews.served).hasValue(1);
  }

  @Test
  void theClientRefusesServersWithAnotherIdentityFromAnotherCaExpiredOrWithoutSpiffeId()
      throws Exception {
    Instant now = Instant.now();
    List<GrpcServer> rogues = new ArrayList<>();
    rogues.add(serve(workload(ca.workload(RATINGS).identity())));
    rogues.add(serve(workload(attacker.workload(REVIEWS).identity(attacker, ca))));
    rogues.add(
        serve(
            workload(
                ca.workload(REVIEWS, now.minus(Duration.ofHours(2)), Duration.ofHours(1))
                    .identity())));
    TestPki.Workload anonymous = ca.workload(null);
    rogues.add(
        closing(
            new GrpcServer(
                TlsServerCredentials.newBuilder()
                    .keyManager(PeerContexts.keyManagers(anonymous))
                    .trustManager(PeerContexts.trustManagers(ca))
                    .build(),
                null)));

    for (GrpcServer rogue : rogues) {
      ManagedChannel channel =
          channel(
              workload(ca.workload(PRODUCTPAGE).identity())
                  .endpoints("reviews", endpoint(rogue, REVIEWS)));

      assertThat(failure(channel).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(rogue.served).hasValue(0);
    }
  }

  private MeshWorkload permissiveClient() {
    MeshWorkload client =
        closing(
            new MeshWorkload(
                ca.workload(PRODUCTPAGE).identity(),
                t -> t.mode("reviews", TransportSecurity.Mode.PERMISSIVE),
                m -> {}));
    client.source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder("reviews").balancer(Balancer.roundRobin()).build())
            .build());
    return client;
  }

  private GrpcServer servePlaintext(MeshWorkload server) throws Exception {
    return closing(new GrpcServer(InsecureServerCredentials.create(), server.mesh));
  }

  @Test
  void permissiveModeTalksToAPlaintextAndAnMtlsEndpointOfTheSameServiceInOneChannel()
      throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    GrpcServer secure = serve(server);
    GrpcServer plain = servePlaintext(server);
    MeshWorkload client = permissiveClient();
    client.endpoints("reviews", endpoint(secure, REVIEWS), Endpoint.of("127.0.0.1", plain.port));
    ManagedChannel channel = channel(client);

    List<String> answers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      answers.add(say(channel));
    }

    // Round robin over both: the mTLS server knows the caller, the plaintext one cannot.
    assertThat(answers)
        .containsOnly("hello " + PRODUCTPAGE, "hello anonymous")
        .filteredOn(a -> a.equals("hello " + PRODUCTPAGE))
        .hasSize(3);
    assertThat(secure.served).hasValue(3);
    assertThat(plain.served).hasValue(3);
    assertThat(secure.lastClient()).isEqualTo(SpiffeId.parse(PRODUCTPAGE));
    assertThat(secure.serverCertificates).hasSize(1);
    assertThat(plain.connections).hasValue(1);
    assertThat(plain.clientCertificates).isEmpty();
    assertThat(plain.serverCertificates).isEmpty();
    assertThat(secure.authorities).containsOnly("reviews");
    assertThat(plain.authorities).containsOnly("reviews");
  }

  @Test
  void permissiveModeNeverFallsBackToPlaintextForAnEndpointWithAnIdentity() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    List<Endpoint> rogues = new ArrayList<>();
    List<GrpcServer> servers = new ArrayList<>();
    GrpcServer plain = servePlaintext(server); // speaks plaintext where mTLS is expected
    GrpcServer impostor = serve(server); // presents reviews where ratings is expected
    GrpcServer attackerCa = serve(workload(attacker.workload(REVIEWS).identity(attacker, ca)));
    servers.addAll(List.of(plain, impostor, attackerCa));
    rogues.addAll(
        List.of(
            endpoint(plain, REVIEWS), endpoint(impostor, RATINGS), endpoint(attackerCa, REVIEWS)));

    for (int i = 0; i < rogues.size(); i++) {
      MeshWorkload client = permissiveClient();
      client.endpoints("reviews", rogues.get(i));

      assertThat(failure(channel(client)).getCode())
          .as("endpoint %s", rogues.get(i))
          .isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(servers.get(i).served).hasValue(0);
    }
  }

  @Test
  void aPermissiveEndpointIsReconnectedWhenItGainsOrLosesItsIdentity() throws Exception {
    GrpcServer reviews = serve(workload(ca.workload(REVIEWS).identity()));
    MeshWorkload client = permissiveClient();
    client.endpoints("reviews", Endpoint.of("127.0.0.1", reviews.port));
    ManagedChannel channel = channel(client);

    // Without an identity the endpoint is plaintext, which an mTLS server does not speak.
    assertThat(failure(channel).getCode()).isEqualTo(Status.Code.UNAVAILABLE);

    client.endpoints("reviews", endpoint(reviews, REVIEWS));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(say(channel)).isEqualTo("hello " + PRODUCTPAGE));
    assertThat(reviews.lastClient()).isEqualTo(SpiffeId.parse(PRODUCTPAGE));

    // Losing the identity again does not leave calls on the established mTLS connection.
    client.endpoints("reviews", Endpoint.of("127.0.0.1", reviews.port));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(failure(channel).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(reviews.connections).hasValue(1);
  }

  @Test
  void aDisabledDestinationGetsAPlaintextChannel() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    GrpcServer plain = servePlaintext(server);
    MeshWorkload client =
        closing(
            new MeshWorkload(
                ca.workload(PRODUCTPAGE).identity(),
                t -> t.mode("reviews", TransportSecurity.Mode.DISABLED),
                m -> {}));
    client.endpoints("reviews", endpoint(plain, REVIEWS));

    assertThat(say(channel(client))).isEqualTo("hello anonymous");
    assertThat(plain.authorities).containsExactly("reviews");
  }

  @Test
  void afterRotationsOnEitherSideNewConnectionsUseTheNewCertificates() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    GrpcServer reviews = serve(server);
    MeshWorkload client =
        workload(ca.workload(PRODUCTPAGE).identity())
            .endpoints("reviews", endpoint(reviews, REVIEWS));
    ManagedChannel channel = channel(client);
    assertThat(say(channel)).isEqualTo("hello " + PRODUCTPAGE);

    TestPki.Workload newServer = ca.workload(REVIEWS);
    server.identity.push(newServer.identity());
    channel.enterIdle(); // drops the connection; the next call makes a new one
    assertThat(say(channel)).isEqualTo("hello " + PRODUCTPAGE);
    TestPki.Workload newClient = ca.workload(PRODUCTPAGE);
    client.identity.push(newClient.identity());
    channel.enterIdle();
    assertThat(say(channel)).isEqualTo("hello " + PRODUCTPAGE);

    assertThat(reviews.connections).hasValue(3);
    assertThat(reviews.serverCertificates.get(1)).isEqualTo(newServer.certificate);
    assertThat(reviews.clientCertificates.get(2)).isEqualTo(newClient.certificate);
  }

  @Test
  void eachConnectionIsCheckedAgainstItsOwnEndpointsIdentity() throws Exception {
    MeshWorkload server = workload(ca.workload(REVIEWS).identity());
    GrpcServer right = serve(server);
    GrpcServer impostor = serve(server); // presents reviews where ratings is expected
    MeshWorkload client = workload(ca.workload(PRODUCTPAGE).identity());
    client.source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder("reviews").balancer(Balancer.roundRobin()).build())
            .build());
    client.endpoints("reviews", endpoint(right, REVIEWS), endpoint(impostor, RATINGS));
    ManagedChannel channel = channel(client);

    for (int i = 0; i < 10; i++) {
      assertThat(say(channel)).isEqualTo("hello " + PRODUCTPAGE);
    }

    assertThat(right.served).hasValue(10);
    assertThat(impostor.served).hasValue(0);
  }
}
