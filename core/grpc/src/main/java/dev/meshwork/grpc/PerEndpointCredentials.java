package dev.meshwork.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.util.AsciiString;

/**
 * Channel credentials that secure each connection as its endpoint needs: mTLS where the name
 * resolver marked the address group {@link MeshNameResolver#MTLS} (or did not mark it), plaintext
 * where it marked it {@code false}. This is how a {@code PERMISSIVE} destination mixes mTLS and
 * plaintext endpoints in one channel.
 *
 * <p>grpc-java's public API gives a channel one {@link ChannelCredentials} for all its connections;
 * only grpc-netty's {@code Internal*} protocol-negotiator hooks let a channel choose per
 * connection, from the address group's attributes, which is what grpc-java's own xDS does for
 * per-cluster TLS. They are {@code @Internal} and may change between grpc-java releases, so they
 * are used here only, for grpc-netty-shaded (an optional dependency: {@link MeshGrpc} loads this
 * class only after checking that it is there). Checked against grpc-netty-shaded 1.83.1: {@code
 * InternalNettyChannelCredentials.create/ toNegotiator}, {@code
 * InternalProtocolNegotiator.ClientFactory/ProtocolNegotiator} and {@code
 * GrpcHttp2ConnectionHandler.getEagAttributes()}.
 *
 * <p>Both connection kinds are built by grpc-netty itself from ordinary credentials (the mTLS one
 * from the {@code TlsChannelCredentials} a strict channel would get), so TLS behaves exactly as in
 * a strict channel. Every connection sends {@code :scheme https}, the channel's scheme.
 * Thread-safe.
 */
final class PerEndpointCredentials {

  private PerEndpointCredentials() {}

  /**
   * Credentials that use {@code tls} for connections to address groups that need mTLS and plaintext
   * for the others.
   */
  static ChannelCredentials create(ChannelCredentials tls) {
    InternalProtocolNegotiator.ClientFactory secure =
        InternalNettyChannelCredentials.toNegotiator(tls);
    InternalProtocolNegotiator.ClientFactory plain =
        InternalNettyChannelCredentials.toNegotiator(InsecureChannelCredentials.create());
    return InternalNettyChannelCredentials.create(new Factory(secure, plain));
  }

  private static final class Factory implements InternalProtocolNegotiator.ClientFactory {
    private final InternalProtocolNegotiator.ClientFactory secure;
    private final InternalProtocolNegotiator.ClientFactory plain;

    Factory(
        InternalProtocolNegotiator.ClientFactory secure,
        InternalProtocolNegotiator.ClientFactory plain) {
      this.secure = secure;
      this.plain = plain;
    }

    @Override
    public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
      return new Negotiator(secure.newNegotiator(), plain.newNegotiator());
    }

    @Override
    public int getDefaultPort() {
      return secure.getDefaultPort();
    }
  }

  /** One per channel transport factory; picks the handler of each new connection. */
  private static final class Negotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    private final InternalProtocolNegotiator.ProtocolNegotiator secure;
    private final InternalProtocolNegotiator.ProtocolNegotiator plain;

    Negotiator(
        InternalProtocolNegotiator.ProtocolNegotiator secure,
        InternalProtocolNegotiator.ProtocolNegotiator plain) {
      this.secure = secure;
      this.plain = plain;
    }

    @Override
    public AsciiString scheme() {
      return secure.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
      // Fail closed: only an address group the resolver explicitly marked plaintext gets plaintext.
      boolean plaintext =
          Boolean.FALSE.equals(grpcHandler.getEagAttributes().get(MeshNameResolver.MTLS));
      return plaintext ? plain.newHandler(grpcHandler) : secure.newHandler(grpcHandler);
    }

    @Override
    public void close() {
      try {
        secure.close();
      } finally {
        plain.close();
      }
    }
  }
}
