package dev.meshwork.otel;

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
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.RpcAttributes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Spans and trace context over a real grpc-java Netty server on loopback. */
class GrpcTracingTest {

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

  private final Traces traces = new Traces();
  private final InMemorySource source = new InMemorySource();
  private final Mesh mesh =
      MeshTracing.create(traces.openTelemetry).install(Mesh.builder().source(source)).build();
  private final ConcurrentLinkedQueue<SpanContext> handlerSpans = new ConcurrentLinkedQueue<>();
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    mesh.close();
    traces.close();
  }

  /** A greeter that fails its first call with UNAVAILABLE, behind the mesh's interceptor. */
  private Endpoint serveFailingOnce() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    ServerServiceDefinition greeter =
        ServerServiceDefinition.builder("test.Greeter")
            .addMethod(
                HELLO,
                ServerCalls.asyncUnaryCall(
                    (req, out) -> {
                      handlerSpans.add(Span.current().getSpanContext());
                      if (calls.getAndIncrement() == 0) {
                        out.onError(Status.UNAVAILABLE.asRuntimeException());
                      } else {
                        out.onNext("hello " + req);
                        out.onCompleted();
                      }
                    }))
            .build();
    server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                InsecureServerCredentials.create())
            .addService(ServerInterceptors.intercept(greeter, new MeshServerInterceptor(mesh)))
            .build()
            .start();
    return Endpoint.of(
        "127.0.0.1", ((InetSocketAddress) server.getListenSockets().get(0)).getPort());
  }

  @Test
  void aRetriedRpcMakesRpcSpansAndEachServerSpanIsTheChildOfItsAttempt() throws Exception {
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("greeter")
                    .retryPolicy(
                        RetryPolicy.builder()
                            .maxAttempts(3)
                            .backoff(Duration.ofMillis(1), Duration.ofMillis(1))
                            .build())
                    .build())
            .build());
    source.endpoints("greeter", serveFailingOnce());
    channel =
        MeshGrpc.install(
                Grpc.newChannelBuilder("mesh:///greeter", InsecureChannelCredentials.create()),
                mesh)
            .build();

    String answer =
        ClientCalls.blockingUnaryCall(
            channel, HELLO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "you");

    assertThat(answer).isEqualTo("hello you");
    List<SpanData> spans = traces.awaitSpans(5);
    SpanData call = Traces.roots(spans).get(0);
    assertThat(call.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(call.getName()).isEqualTo("test.Greeter/Hello");
    assertThat(call.getAttributes().get(RpcAttributes.RPC_SYSTEM_NAME)).isEqualTo("grpc");
    assertThat(call.getAttributes().get(RpcAttributes.RPC_STATUS_CODE)).isEqualTo("OK");
    List<SpanData> attempts = Traces.childrenOf(spans, call);
    assertThat(attempts).hasSize(2).allMatch(s -> s.getName().equals("test.Greeter/Hello"));
    assertThat(attempts.get(0).getAttributes().get(RpcAttributes.RPC_STATUS_CODE))
        .isEqualTo("UNAVAILABLE");
    assertThat(attempts.get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(attempts.get(1).getAttributes().get(RpcAttributes.RPC_METHOD))
        .isEqualTo("test.Greeter/Hello");
    for (SpanData attempt : attempts) {
      SpanData serverSpan = Traces.childrenOf(spans, attempt).get(0);
      assertThat(serverSpan.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(serverSpan.getName()).isEqualTo("test.Greeter/Hello");
      assertThat(serverSpan.getTraceId()).isEqualTo(call.getTraceId());
    }
    List<SpanData> serverSpans = Traces.ofKind(spans, SpanKind.SERVER);
    // The handler ran with the request's server span current.
    assertThat(handlerSpans)
        .containsExactlyInAnyOrderElementsOf(
            serverSpans.stream().map(SpanData::getSpanContext).toList());
    assertThat(serverSpans)
        .extracting(s -> s.getAttributes().get(RpcAttributes.RPC_STATUS_CODE))
        .containsExactlyInAnyOrder("UNAVAILABLE", "OK");
  }
}
