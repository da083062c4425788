package dev.meshwork.grpc;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** A string echo service with hand-written method descriptors; each server names itself. */
final class Echo {

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
      method("Say", MethodDescriptor.MethodType.UNARY);
  static final MethodDescriptor<String, String> STREAM =
      method("Stream", MethodDescriptor.MethodType.SERVER_STREAMING);
  static final MethodDescriptor<String, String> COLLECT =
      method("Collect", MethodDescriptor.MethodType.CLIENT_STREAMING);

  static final Metadata.Key<String> CANARY =
      Metadata.Key.of("x-canary", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> ROUTE =
      Metadata.Key.of("x-route", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  private static MethodDescriptor<String, String> method(
      String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.newBuilder(UTF8, UTF8)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
        .setType(type)
        .build();
  }

  /** How a server answers a unary call: its reply, or a status to fail with. */
  interface Behaviour {
    void answer(String request, Metadata headers, StreamObserver<String> response);
  }

  final String name;
  final AtomicInteger calls = new AtomicInteger();
  final ConcurrentLinkedQueue<Long> remainingNanos = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<String> routeHeaders = new ConcurrentLinkedQueue<>();
  volatile Behaviour behaviour;

  Echo(String name) {
    this.name = name;
    this.behaviour = (req, h, out) -> reply(out, name);
  }

  static void reply(StreamObserver<String> out, String value) {
    out.onNext(value);
    out.onCompleted();
  }

  /** Fails every call with {@code status}, with a pushback trailer when {@code pushback} is set. */
  static Behaviour failing(Status status, @Nullable String pushback) {
    return (req, h, out) -> {
      Metadata trailers = new Metadata();
      if (pushback != null) {
        trailers.put(PUSHBACK, pushback);
      }
      out.onError(status.asRuntimeException(trailers));
    };
  }

  ServerServiceDefinition service() {
    return io.grpc.ServerInterceptors.intercept(definition(), new HeadersCapture());
  }

  private ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder("test.Echo")
        .addMethod(
            SAY,
            ServerCalls.asyncUnaryCall(
                (req, out) -> {
                  calls.incrementAndGet();
                  io.grpc.Deadline d = Context.current().getDeadline();
                  if (d != null) {
                    remainingNanos.add(d.timeRemaining(java.util.concurrent.TimeUnit.NANOSECONDS));
                  }
                  Metadata h = HeadersCapture.CURRENT.get();
                  String route = h == null ? null : h.get(ROUTE);
                  if (route != null) {
                    routeHeaders.add(route);
                  }
                  behaviour.answer(req, h == null ? new Metadata() : h, out);
                }))
        .addMethod(
            STREAM,
            ServerCalls.asyncServerStreamingCall(
                (req, out) -> {
                  calls.incrementAndGet();
                  out.onNext(name);
                  out.onError(
                      Status.UNAVAILABLE.withDescription("stream broke").asRuntimeException());
                }))
        .addMethod(
            COLLECT,
            ServerCalls.asyncClientStreamingCall(
                out -> {
                  calls.incrementAndGet();
                  return new StreamObserver<String>() {
                    @Override
                    public void onNext(String value) {}

                    @Override
                    public void onError(Throwable t) {}

                    @Override
                    public void onCompleted() {
                      out.onError(Status.UNAVAILABLE.asRuntimeException());
                    }
                  };
                }))
        .build();
  }
}
