package dev.meshwork;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * How the mesh secures connections: whether a client uses mTLS to a destination, which identity it
 * must see from each endpoint, and the JDK key and trust material both sides use. Registered with
 * {@link Mesh.Builder#transportSecurity}; {@code meshwork-tls}'s {@code MeshTls} implements it, and
 * the transport adapters consume it, so they meet here, at JDK types, without depending on each
 * other.
 *
 * <p>Clients verify servers by <em>identity</em>: the server's certificate must chain to the trust
 * bundle and carry, as its SPIFFE ID, exactly the identity the endpoint is expected to have ({@link
 * #serverIdentity}); host names and IP addresses are not checked. Servers require a client
 * certificate from the bundle and leave authorization to the {@link AccessPolicy}.
 *
 * <p>Implementations are thread-safe; their key and trust managers always serve the current
 * identity and bundle, so a rotation applies to new handshakes while established connections drain.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().source(source).transportSecurity(MeshTls.builder(identity).build()).build();
 * TransportSecurity tls = mesh.transportSecurity();
 * SpiffeId expected = tls.serverIdentity(ServiceName.of("reviews"), endpoint); // null: plaintext
 * }</pre>
 */
public interface TransportSecurity {

  /** What a client does for calls to one destination service. */
  enum Mode {
    /** mTLS to every endpoint; an endpoint whose identity is unknown is not called. */
    STRICT,
    /**
     * mTLS to endpoints known to support it (the implementation says how, usually: the endpoint has
     * an expected identity), plaintext to the others. For migrations.
     */
    PERMISSIVE,
    /** Plaintext. */
    DISABLED
  }

  /**
   * Called once by {@link Mesh.Builder#build()} with the mesh it secures, for its listener, its
   * scheduler and its clock; starts watching the identity. Must not block.
   */
  default void start(Mesh mesh) {}

  /** Called by {@link Mesh#close()}: stops watching the identity. */
  default void close() {}

  /** The mode of calls to {@code destination}. */
  Mode mode(ServiceName destination);

  /**
   * The SPIFFE ID the server at {@code endpoint} of {@code destination} must present, or null when
   * the connection is plaintext (the mode is {@link Mode#DISABLED}, or {@link Mode#PERMISSIVE} and
   * the endpoint is not known to support mTLS).
   *
   * @throws SSLPeerUnverifiedException when the connection must use mTLS but cannot: the identity
   *     of the endpoint is unknown under {@link Mode#STRICT}, or this workload has no identity yet
   */
  @Nullable SpiffeId serverIdentity(ServiceName destination, Endpoint endpoint)
      throws SSLPeerUnverifiedException;

  /** The workload's identity in use now, or null before the first one arrived. */
  @Nullable X509Identity identity();

  /**
   * This workload's SPIFFE ID as access policy sees it ({@code self} in {@link
   * AccessPolicy#evaluate}): configured, or the current identity's; null when unknown.
   */
  @Nullable SpiffeId localIdentity();

  /** Presents the current workload certificate; always serves the latest identity. */
  X509ExtendedKeyManager keyManager();

  /**
   * Checks certificate chains against the current trust bundle only (no identity, no host name);
   * for APIs that want a trust manager next to a socket factory.
   */
  X509TrustManager trustManager();

  /**
   * A client socket factory that presents the workload certificate and accepts only a server whose
   * chain leads to the bundle and whose SPIFFE ID is {@code expected}. The same instance for the
   * same identity, so connection pools that key by factory keep pooling.
   */
  SSLSocketFactory clientSocketFactory(SpiffeId expected);

  /**
   * Checks that {@code chain} leads to the trust bundle and that its leaf's SPIFFE ID is {@code
   * expected}, for transports that verify servers in their own trust manager.
   */
  void checkServer(X509Certificate[] chain, String authType, SpiffeId expected)
      throws CertificateException;

  /**
   * The trust manager of servers, which verifies their clients: a client's chain must lead to the
   * bundle and its leaf carry a SPIFFE ID. Authorization is the access policy's.
   */
  X509ExtendedTrustManager serverTrustManager();

  /**
   * A server {@link SSLContext} with the workload certificate and the client check of {@link
   * #serverTrustManager()}, whose engines and sockets require a client certificate.
   */
  SSLContext serverContext();
}
