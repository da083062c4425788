package dev.meshwork.tls;

import dev.meshwork.Mesh;
import dev.meshwork.MeshContext;
import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import dev.meshwork.grpc.MeshServerInterceptor;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * A grpc-java Netty server on 127.0.0.1 for end-to-end tests, optionally behind {@link
 * MeshServerInterceptor}: {@code test.Hello/Say} answers {@code hello <caller's SPIFFE ID>} (or
 * {@code hello anonymous}). Records the authority of every call and each connection's client
 * certificate.
 */
final class GrpcServer implements AutoCloseable {

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
          .setFullMethodName("test.Hello/Say")
          .setType(MethodDescriptor.MethodType.UNARY)
          .build();

  final AtomicInteger served = new AtomicInteger();
  final AtomicInteger connections = new AtomicInteger();
  final List<String> authorities = new CopyOnWriteArrayList<>();
  final List<X509Certificate> clientCertificates = new CopyOnWriteArrayList<>();
  final List<X509Certificate> serverCertificates = new CopyOnWriteArrayList<>();
  final Server server;
  final int port;

  GrpcServer(ServerCredentials credentials, @Nullable Mesh mesh) throws IOException {
    this(credentials, mesh, b -> {});
  }

  GrpcServer(
      ServerCredentials credentials, @Nullable Mesh mesh, Consumer<NettyServerBuilder> config)
      throws IOException {
    ServerServiceDefinition hello =
        ServerServiceDefinition.builder("test.Hello")
            .addMethod(
                SAY,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      served.incrementAndGet();
                      SpiffeId peer = MeshContext.current().get(MeshContext.PEER_IDENTITY);
                      response.onNext("hello " + (peer == null ? "anonymous" : peer));
                      response.onCompleted();
                    }))
            .build();
    ServerInterceptor authority =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            authorities.add(String.valueOf(call.getAuthority()));
            return next.startCall(call, headers);
          }
        };
    ServerServiceDefinition service =
        mesh == null
            ? ServerInterceptors.intercept(hello, authority)
            : ServerInterceptors.intercept(hello, new MeshServerInterceptor(mesh), authority);
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), credentials)
            .addService(service)
            .addTransportFilter(
                new ServerTransportFilter() {
                  @Override
                  public Attributes transportReady(Attributes attributes) {
                    connections.incrementAndGet();
                    SSLSession session = attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                    if (session != null) {
                      if (session.getLocalCertificates() != null) {
                        serverCertificates.add((X509Certificate) session.getLocalCertificates()[0]);
                      }
                      try {
                        clientCertificates.add((X509Certificate) session.getPeerCertificates()[0]);
                      } catch (SSLPeerUnverifiedException none) {
                        // no client certificate
                      }
                    }
                    return attributes;
                  }
                });
    config.accept(b);
    server = b.build().start();
    port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  @Nullable SpiffeId lastClient() {
    return clientCertificates.isEmpty()
        ? null
        : X509Identity.spiffeIdOf(clientCertificates.get(clientCertificates.size() - 1));
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
