package dev.meshwork.okhttp;

import dev.meshwork.Attempt;
import dev.meshwork.MeshCall;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity;
import dev.meshwork.X509Identity;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import org.jspecify.annotations.Nullable;

/**
 * mTLS for one routed attempt, when the mesh's {@link TransportSecurity} says the attempt's
 * endpoint uses it. The application keeps its {@code http://reviews/…} URL; the attempt goes out as
 * {@code https} with the call's SSL socket factory and hostname verifier overridden for that one
 * attempt ({@link Interceptor.Chain#withSslSocketFactory}, {@link
 * Interceptor.Chain#withHostnameVerifier}), while the {@link EndpointConnector} still steers the
 * connection to the endpoint.
 *
 * <p>Why per-call overrides rather than wrapping TLS inside the connector's socket: OkHttp then
 * does the handshake itself, so ALPN negotiates HTTP/2 where the server offers it, {@code
 * Response.handshake()} and {@code EventListener.secureConnect*} report the peer's certificate, and
 * pooling stays OkHttp's: a connection is reused only for the same endpoint (the connector), the
 * same socket factory (one per expected identity, from {@link
 * TransportSecurity#clientSocketFactory}) and an equal verifier (equal for equal identities). A
 * socket wrapper would hide all that behind a fake plaintext socket and pin HTTP/1.1.
 *
 * <p>The server is verified by identity, twice: the socket factory's trust manager accepts only a
 * chain from the mesh's bundle whose SPIFFE ID is the expected one (so the handshake fails before
 * this client sends its certificate or the request), and {@link IdentityVerifier}, in the place
 * OkHttp reserves for host name checks, confirms the session's peer carries that ID. Host names and
 * IP addresses are not checked.
 */
final class EndpointTls {

  private EndpointTls() {}

  /**
   * The identity the attempt's endpoint must present, or null when the attempt is plaintext.
   *
   * @throws SSLPeerUnverifiedException when mTLS is required but not possible (see {@link
   *     TransportSecurity#serverIdentity})
   */
  static @Nullable SpiffeId expected(
      @Nullable TransportSecurity security, MeshCall call, Attempt attempt)
      throws SSLPeerUnverifiedException {
    return security == null ? null : security.serverIdentity(call.service(), attempt.endpoint());
  }

  /** {@code chain} with this attempt's TLS settings for a server that must be {@code expected}. */
  static Interceptor.Chain secure(
      Interceptor.Chain chain, TransportSecurity security, SpiffeId expected) {
    return chain
        .withSslSocketFactory(security.clientSocketFactory(expected), security.trustManager())
        .withHostnameVerifier(new IdentityVerifier(expected));
  }

  /** {@code url} with the https scheme (its port stays explicit if it was not http's default). */
  static HttpUrl https(HttpUrl url) {
    return url.isHttps() ? url : url.newBuilder().scheme("https").build();
  }

  /**
   * Accepts a session whose peer's leaf certificate carries {@code expected} as its SPIFFE ID.
   * Equal for equal identities, so OkHttp's pool treats attempts to the same identity alike.
   */
  static final class IdentityVerifier implements HostnameVerifier {
    private final SpiffeId expected;

    IdentityVerifier(SpiffeId expected) {
      this.expected = expected;
    }

    @Override
    public boolean verify(String host, SSLSession session) {
      try {
        Certificate[] chain = session.getPeerCertificates();
        return chain.length > 0
            && chain[0] instanceof X509Certificate
            && expected.equals(X509Identity.spiffeIdOf((X509Certificate) chain[0]));
      } catch (SSLPeerUnverifiedException e) {
        return false;
      }
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof IdentityVerifier && ((IdentityVerifier) o).expected.equals(expected);
    }

    @Override
    public int hashCode() {
      return expected.hashCode();
    }

    @Override
    public String toString() {
      return "IdentityVerifier{" + expected + "}";
    }
  }
}
