package dev.meshwork.grpc;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The trust manager of one {@code mesh:///<service>} channel: verifies each connection's server by
 * the identity of the endpoint it was opened to.
 *
 * <p>A gRPC channel's TLS credentials are shared by all its mTLS connections, so the endpoint is
 * recognized from the handshake itself: for mTLS channels the name resolver gives every endpoint's
 * address group its own authority, the endpoint's {@code host:port} ({@link
 * io.grpc.EquivalentAddressGroup#ATTR_AUTHORITY_OVERRIDE}), which grpc-netty hands to the TLS
 * engine as its peer host and port. The expected identity is then the mesh's for that endpoint
 * ({@link TransportSecurity#serverIdentity}, from the current snapshot), and the chain must lead to
 * the trust bundle and carry exactly that SPIFFE ID.
 *
 * <p>RPCs still carry the logical {@code :authority} ({@link MeshClientInterceptor} sets it per
 * call), which grpc-netty verifies once per connection by asking this trust manager about the
 * logical host; that check passes when the connection's server is one of the service's expected
 * identities, which its handshake already proved for its own endpoint. Anything else is refused.
 * Thread-safe.
 */
final class EndpointTrustManager extends X509ExtendedTrustManager {

  private final Mesh mesh;
  private final TransportSecurity security;
  private final String host;
  private final ServiceName service;

  EndpointTrustManager(Mesh mesh, TransportSecurity security, String host) {
    this.mesh = mesh;
    this.security = security;
    this.host = host;
    this.service = ServiceName.parse(host, mesh.defaultNamespace());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, authType, engine.getPeerHost(), engine.getPeerPort());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    SocketAddress remote = socket.getRemoteSocketAddress();
    if (!(remote instanceof InetSocketAddress)) {
      throw new CertificateException(
          "cannot tell which endpoint of " + service + " " + remote + " is");
    }
    InetSocketAddress a = (InetSocketAddress) remote;
    check(chain, authType, a.getHostString(), a.getPort());
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException(
        "cannot tell which endpoint of " + service + " this is without the TLS engine");
  }

  private void check(
      X509Certificate[] chain, String authType, @Nullable String peerHost, int peerPort)
      throws CertificateException {
    String h = unbracket(peerHost);
    List<Endpoint> endpoints = mesh.snapshot().routableEndpoints(host);
    for (Endpoint e : endpoints) {
      if (e.port() == peerPort && e.host().equalsIgnoreCase(h)) {
        security.checkServer(chain, authType, expected(e));
        return;
      }
    }
    if (host.equalsIgnoreCase(h)) {
      // grpc-netty verifying a call's logical authority on an established connection.
      CertificateException last = null;
      for (Endpoint e : endpoints) {
        try {
          security.checkServer(chain, authType, expected(e));
          return;
        } catch (CertificateException mismatch) {
          last = mismatch;
        }
      }
      throw last != null
          ? last
          : new CertificateException(service + " has no endpoints whose identity could match");
    }
    throw new CertificateException(
        "server " + h + ":" + peerPort + " is not an endpoint of " + service + " (any more)");
  }

  private SpiffeId expected(Endpoint e) throws CertificateException {
    SpiffeId id;
    try {
      id = security.serverIdentity(service, e);
    } catch (SSLPeerUnverifiedException unknown) {
      throw new CertificateException(unknown.getMessage(), unknown);
    }
    if (id == null) {
      throw new CertificateException(
          "endpoint "
              + e.authority()
              + " of "
              + service
              + " has no expected identity, so it would be plaintext, but this channel's"
              + " connections are all mTLS (PERMISSIVE channels mix plaintext and mTLS only over"
              + " grpc-netty-shaded; use STRICT with known identities, or DISABLED)");
    }
    return id;
  }

  private static String unbracket(@Nullable String host) {
    if (host == null) {
      return "";
    }
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a channel's trust manager verifies servers only");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return security.trustManager().getAcceptedIssuers();
  }

  @Override
  public String toString() {
    return "EndpointTrustManager{mesh:///" + host + "}";
  }
}
