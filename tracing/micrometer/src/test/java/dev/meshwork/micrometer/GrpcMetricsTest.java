package dev.meshwork.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.RetryPolicy;
import dev.meshwork.ServiceConfig;
import dev.meshwork.grpc.MeshGrpc;
import dev.meshwork.grpc.MeshServerInterceptor;
import dev.meshwork.testing.InMemorySource;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Golden metrics of RPCs over a real grpc-java Netty server on loopback: gRPC statuses as tags. */
class GrpcMetricsTest {

  private static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  private static final MethodDescriptor<String, String> HELLO =
      MethodDescriptor.newBuilder(UTF8, UTF8)
          .setFullMethodName("test.Greeter/Hello")
          .setType(MethodDescriptor.MethodType.UNARY)
          .build();

  private final SimpleMeterRegistry client = new SimpleMeterRegistry();
  private final SimpleMeterRegistry server = new SimpleMeterRegistry();
  private final InMemorySource source = new InMemorySource();
  private final Mesh web =
      Mesh.builder()
          .source(source)
          .listener(MeshMetrics.builder(client).namespace("shop").deployment("web").build())
          .build();
  private final Mesh greeter =
      Mesh.builder()
          .listener(MeshMetrics.builder(server).namespace("shop").deployment("greeter").build())
          .build();
  private Server netty;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    netty.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    web.close();
    greeter.close();
  }

  @Test
  void rpcsAreCountedWithTheirGrpcStatusOnBothSides() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("test.Greeter")
            .addMethod(
                HELLO,
                ServerCalls.asyncUnaryCall(
                    (req, out) -> {
                      if (calls.getAndIncrement() == 0) {
                        out.onError(Status.UNAVAILABLE.asRuntimeException());
                      } else {
                        out.onNext("hello");
                        out.onCompleted();
                      }
                    }))
            .build();
    netty =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                InsecureServerCredentials.create())
            .addService(ServerInterceptors.intercept(service, new MeshServerInterceptor(greeter)))
            .build()
            .start();
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("greeter")
                    .retryPolicy(
                        RetryPolicy.builder()
                            .backoff(Duration.ofMillis(1), Duration.ofMillis(1))
                            .build())
                    .build())
            .build());
    source.endpoints(
        "greeter",
        Endpoint.of("127.0.0.1", ((InetSocketAddress) netty.getListenSockets().get(0)).getPort()));
    channel =
        MeshGrpc.install(
                Grpc.newChannelBuilder("mesh:///greeter", InsecureChannelCredentials.create()), web)
            .build();

    String answer =
        ClientCalls.blockingUnaryCall(
            channel, HELLO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hi");

    assertThat(answer).isEqualTo("hello");
    assertThat(client.get("request").tag("direction", "outbound").counter().count()).isEqualTo(2);
    assertThat(
            client
                .get("response")
                .tags("classification", "failure", "grpc_status", "14", "status_code", "")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(
            client
                .get("route_response")
                .tags("classification", "success", "grpc_status", "0")
                .counter()
                .count())
        .isEqualTo(1);
    // The server ends a call when it closes it, which may trail the client's answer.
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> server.find("response").counters().size() == 2);
    assertThat(
            server
                .get("request")
                .tags("direction", "inbound", "route", "test.Greeter/Hello")
                .counter()
                .count())
        .isEqualTo(2);
    assertThat(
            server
                .get("response")
                .tags(
                    "route", "test.Greeter/Hello", "classification", "success", "grpc_status", "0")
                .counter()
                .count())
        .isEqualTo(1);
  }
}
