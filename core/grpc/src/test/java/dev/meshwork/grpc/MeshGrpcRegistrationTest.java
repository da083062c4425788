package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.RetryDecision;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The resolver and balancer as found through META-INF/services, without {@link MeshGrpc#install}.
 */
class MeshGrpcRegistrationTest {

  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().source(source).listener(events).build();
  private final InProcessMesh servers = new InProcessMesh();
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    MeshGrpc.setDefaultMesh(null);
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    servers.close();
    mesh.close();
  }

  @Test
  void theResolverAndBalancerAreRegisteredAsServices() {
    assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("mesh"))
        .isInstanceOf(MeshNameResolverProvider.class);
    assertThat(LoadBalancerRegistry.getDefaultRegistry().getProvider("meshwork"))
        .isInstanceOf(MeshLoadBalancerProvider.class);
  }

  @Test
  void aChannelBuiltWithoutInstallRoutesAndBalancesThroughTheDefaultMesh() {
    MeshGrpc.setDefaultMesh(mesh);
    Endpoint v1 = Endpoint.of("10.0.1.1", 80);
    Endpoint v2 = Endpoint.of("10.0.2.1", 80);
    servers.serve(v1, "v1");
    servers.serve(v2, "v2");
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(Route.to(Backend.of("reviews-v1", 1), Backend.of("reviews-v2", 1)))
                    .build())
            .build());
    source.endpoints("reviews-v1", v1);
    source.endpoints("reviews-v2", v2);
    // Only the address mapping is given (in-process servers instead of TCP); no interceptor.
    Function<Endpoint, java.net.SocketAddress> addresses = servers::address;
    channel =
        InProcessChannelBuilder.forTarget("mesh:///reviews")
            .setNameResolverArg(MeshNameResolverProvider.ADDRESSES, addresses)
            .directExecutor()
            .build();

    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      counts.merge(
          ClientCalls.blockingUnaryCall(
              channel, Echo.SAY, CallOptions.DEFAULT.withWaitForReady(), "hi"),
          1,
          Integer::sum);
    }

    assertThat(counts.keySet()).containsExactlyInAnyOrder("v1", "v2");
    assertThat(events.calls())
        .hasSize(200)
        .allMatch(c -> c.attempts() == 1 && c.decision() == RetryDecision.COMPLETE);
  }

  @Test
  void aChannelWithoutAnyMeshFailsWithAStatusThatSaysWhatToDo() {
    channel =
        Grpc.newChannelBuilder("mesh:///reviews", InsecureChannelCredentials.create()).build();

    assertThatThrownBy(
            () -> ClientCalls.blockingUnaryCall(channel, Echo.SAY, CallOptions.DEFAULT, "hi"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription())
                  .contains("no Mesh for this channel (use MeshGrpc.install(builder, mesh)");
            });
  }
}
