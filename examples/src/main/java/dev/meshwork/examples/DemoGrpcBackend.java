package dev.meshwork.examples;

import dev.meshwork.Endpoint;
import io.grpc.InsecureServerCredentials;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real grpc-java Netty server on loopback standing in for one instance of a gRPC service: answers
 * {@link #GET} with its name after {@code delayMillis}, and with {@code UNAVAILABLE} for a share of
 * calls. Uses a hand-written method descriptor with a UTF-8 string marshaller, so the demo needs no
 * code generation.
 */
final class DemoGrpcBackend implements AutoCloseable {

  static final MethodDescriptor.Marshaller<String> UTF8 =
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

  /** {@code demo.Ratings/Get}: a book id in, a rating (here: the instance's name) out. */
  static final MethodDescriptor<String, String> GET =
      MethodDescriptor.newBuilder(UTF8, UTF8)
          .setFullMethodName("demo.Ratings/Get")
          .setType(MethodDescriptor.MethodType.UNARY)
          .build();

  private final Server server;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "demo-grpc-backend");
            t.setDaemon(true);
            return t;
          });
  final String name;

  DemoGrpcBackend(String name, long delayMillis, double failureRate) throws IOException {
    this.name = name;
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("demo.Ratings")
            .addMethod(
                GET,
                ServerCalls.asyncUnaryCall(
                    (request, response) ->
                        timer.schedule(
                            () -> {
                              if (ThreadLocalRandom.current().nextDouble() < failureRate) {
                                response.onError(Status.UNAVAILABLE.asRuntimeException());
                              } else {
                                response.onNext(name);
                                response.onCompleted();
                              }
                            },
                            delayMillis,
                            TimeUnit.MILLISECONDS)))
            .build();
    this.server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                InsecureServerCredentials.create())
            .addService(service)
            .build()
            .start();
  }

  /** This backend as a mesh endpoint, labelled with its name for the demo's table. */
  Endpoint endpoint() {
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    return Endpoint.of("127.0.0.1", port).withLabel("instance", name);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    timer.shutdownNow();
  }
}
