package dev.meshwork.resilience;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/** A unary string echo service over a real Netty server on loopback, for gRPC acceptance tests. */
final class GrpcEcho implements AutoCloseable {

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

  static final MethodDescriptor<String, String> SAY =
      MethodDescriptor.newBuilder(UTF8, UTF8)
          .setFullMethodName("test.Echo/Say")
          .setType(MethodDescriptor.MethodType.UNARY)
          .build();

  private final Server server;

  /** Starts a server on a free loopback port; {@code handler} answers each call. */
  GrpcEcho(BiConsumer<String, StreamObserver<String>> handler, ServerInterceptor... interceptors) {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("test.Echo")
            .addMethod(SAY, ServerCalls.asyncUnaryCall(handler::accept))
            .build();
    try {
      server =
          Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
              .addService(ServerInterceptors.intercept(service, interceptors))
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int port() {
    return server.getPort();
  }

  static void reply(StreamObserver<String> out, String value) {
    out.onNext(value);
    out.onCompleted();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
