package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.meshwork.AccessRule;
import dev.meshwork.Deadline;
import dev.meshwork.Endpoint;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshContext;
import dev.meshwork.ResponseClass;
import dev.meshwork.SpiffeId;
import dev.meshwork.testing.RecordingListener;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MeshServerInterceptorTest {

  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().listener(events).build();
  private final InProcessMesh servers = new InProcessMesh();
  private final Endpoint endpoint = Endpoint.of("10.0.0.1", 80);
  private final ConcurrentLinkedQueue<MeshContext> seen = new ConcurrentLinkedQueue<>();
  private final Echo echo = servers.serve(endpoint, "a", new MeshServerInterceptor(mesh));
  private final ManagedChannel channel =
      InProcessChannelBuilder.forAddress(servers.address(endpoint)).directExecutor().build();

  MeshServerInterceptorTest() {
    echo.behaviour =
        (req, h, out) -> {
          seen.add(MeshContext.current());
          Echo.reply(out, "a");
        };
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    servers.close();
    mesh.close();
  }

  private static Channel withHeader(Channel channel, String name, String value) {
    Metadata h = new Metadata();
    h.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(h));
  }

  @Test
  void everyInboundCallIsReportedOnceWithItsClassification() {
    ClientCalls.blockingUnaryCall(channel, Echo.SAY, CallOptions.DEFAULT, "hi");
    echo.behaviour = Echo.failing(Status.UNAVAILABLE, null);
    try {
      ClientCalls.blockingUnaryCall(channel, Echo.SAY, CallOptions.DEFAULT, "hi");
    } catch (StatusRuntimeException expected) {
      // reported below
    }

    assertThat(events.events())
        .containsExactly(
            "inboundStarted POST /test.Echo/Say",
            "inboundEnded POST /test.Echo/Say SUCCESS 0",
            "inboundStarted POST /test.Echo/Say",
            "inboundEnded POST /test.Echo/Say RETRYABLE_FAILURE 14");
    InboundCall first = events.inbound().get(0);
    assertThat(first.grpcService()).isEqualTo("test.Echo");
    assertThat(first.grpcMethod()).isEqualTo("Say");
    assertThat(first.peer()).isNull();
    assertThat(events.inbound().get(1).result()).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
  }

  @Test
  void aCallTheAccessPolicyDeniesIsClosedWithPermissionDeniedBeforeTheHandlerRuns()
      throws InterruptedException {
    Mesh closed = Mesh.builder().listener(events).defaultAccess(AccessRule.Action.DENY).build();
    Endpoint other = Endpoint.of("10.0.0.2", 80);
    Echo guarded = servers.serve(other, "guarded", new MeshServerInterceptor(closed));
    ManagedChannel toGuarded =
        InProcessChannelBuilder.forAddress(servers.address(other)).directExecutor().build();
    try {
      Status status =
          catchThrowableOfType(
                  StatusRuntimeException.class,
                  () ->
                      ClientCalls.blockingUnaryCall(toGuarded, Echo.SAY, CallOptions.DEFAULT, "hi"))
              .getStatus();

      String reason =
          "this server has no workload identity, so no access rule names it; default deny";
      assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(status.getDescription()).isEqualTo(reason);
      assertThat(guarded.calls).hasValue(0);
      assertThat(events.events())
          .containsExactly(
              "inboundStarted POST /test.Echo/Say",
              "accessDenied POST /test.Echo/Say " + reason,
              "inboundEnded POST /test.Echo/Say SUCCESS 7");
    } finally {
      toGuarded.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      closed.close();
    }
  }

  @Test
  void theHandlerRunsInTheCallersMeshContext() {
    ClientCalls.blockingUnaryCall(
        channel, Echo.SAY, CallOptions.DEFAULT.withDeadlineAfter(150, TimeUnit.MILLISECONDS), "hi");

    MeshContext ctx = seen.poll();
    assertThat(ctx.deadline().remainingNanos()).isBetween(1L, 150_000_000L);
    assertThat(ctx.get(InboundCall.CONTEXT_KEY).path()).isEqualTo("/test.Echo/Say");
    assertThat(ctx.get(MeshContext.PEER_IDENTITY)).isNull();
    assertThat(MeshContext.current().deadline()).isNull();
  }

  @Test
  void aGatewaysTimeoutHeaderBecomesTheDeadline() {
    ClientCalls.blockingUnaryCall(
        withHeader(channel, "meshwork-timeout", "100m"), Echo.SAY, CallOptions.DEFAULT, "hi");

    assertThat(seen.poll().deadline().remainingNanos()).isBetween(1L, 100_000_000L);
  }

  @Test
  void theEarlierOfTheGrpcDeadlineAndTheGatewayHeaderWins() {
    ClientCalls.blockingUnaryCall(
        withHeader(channel, "meshwork-timeout", "5S"),
        Echo.SAY,
        CallOptions.DEFAULT.withDeadlineAfter(80, TimeUnit.MILLISECONDS),
        "hi");

    Deadline d = seen.poll().deadline();
    assertThat(d.remainingNanos()).isBetween(1L, 80_000_000L);
  }

  @Test
  void aMalformedGatewayHeaderSetsNoDeadline() {
    ClientCalls.blockingUnaryCall(
        withHeader(channel, "meshwork-timeout", "soon"), Echo.SAY, CallOptions.DEFAULT, "hi");

    assertThat(seen.poll().deadline()).isNull();
  }

  @Test
  void thePeersSpiffeIdFromItsMtlsCertificateIsInTheContext() throws Exception {
    TestCertificates certs = new TestCertificates();
    TestCertificates.Leaf serverLeaf = certs.leaf("reviews", null);
    TestCertificates.Leaf clientLeaf = certs.leaf("cart", "spiffe://cluster.local/ns/shop/sa/cart");
    Server server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                TlsServerCredentials.newBuilder()
                    .keyManager(serverLeaf.keyManagers())
                    .trustManager(certs.trustManagers())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build())
            .addService(
                ServerInterceptors.intercept(echo.service(), new MeshServerInterceptor(mesh)))
            .build()
            .start();
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    ManagedChannel tls =
        Grpc.newChannelBuilderForAddress(
                "127.0.0.1",
                port,
                TlsChannelCredentials.newBuilder()
                    .keyManager(clientLeaf.keyManagers())
                    .trustManager(certs.trustManagers())
                    .build())
            .overrideAuthority("reviews")
            .build();
    try {
      ClientCalls.blockingUnaryCall(tls, Echo.SAY, CallOptions.DEFAULT, "hi");
    } finally {
      tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    SpiffeId cart = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/cart");
    assertThat(seen.poll().get(MeshContext.PEER_IDENTITY)).isEqualTo(cart);
    assertThat(events.inbound()).last().extracting(InboundCall::peer).isEqualTo(cart);
  }
}
