package dev.meshwork.tls.internal;

import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * Verifies peers against the {@link TrustBundle} and by SPIFFE identity, never by host name: the
 * engine's or socket's endpoint identification setting is ignored on purpose, because mesh peers
 * are named by their certificate's SPIFFE ID, not by the address they were reached at.
 *
 * <ul>
 *   <li>{@link #servers(TrustBundle, SpiffeId)}: for a client; the server's leaf must carry exactly
 *       the expected SPIFFE ID.
 *   <li>{@link #clients(TrustBundle)}: for a server; the client's leaf must carry a SPIFFE ID (the
 *       access policy decides what it may do).
 *   <li>{@link #bundleOnly(TrustBundle)}: chain validation alone, in both directions.
 * </ul>
 *
 * <p>A leaf that is itself a CA is refused (an X509-SVID leaf must not be a CA). Thread-safe.
 *
 * <pre>{@code
 * SSLContext client = SSLContext.getInstance("TLS");
 * client.init(keyManagers, new TrustManager[] {SpiffeTrustManager.servers(bundle, reviews)}, null);
 * }</pre>
 */
public final class SpiffeTrustManager extends X509ExtendedTrustManager {

  private enum Role {
    SERVERS,
    CLIENTS,
    BUNDLE
  }

  private final TrustBundle bundle;
  private final Role role;
  private final @Nullable SpiffeId expected;

  private SpiffeTrustManager(TrustBundle bundle, Role role, @Nullable SpiffeId expected) {
    this.bundle = bundle;
    this.role = role;
    this.expected = expected;
  }

  /** For clients: accepts servers from the bundle whose SPIFFE ID is {@code expected}. */
  public static SpiffeTrustManager servers(TrustBundle bundle, SpiffeId expected) {
    return new SpiffeTrustManager(bundle, Role.SERVERS, expected);
  }

  /** For servers: accepts clients from the bundle that carry a SPIFFE ID. */
  public static SpiffeTrustManager clients(TrustBundle bundle) {
    return new SpiffeTrustManager(bundle, Role.CLIENTS, null);
  }

  /** Chain validation against the bundle only. */
  public static SpiffeTrustManager bundleOnly(TrustBundle bundle) {
    return new SpiffeTrustManager(bundle, Role.BUNDLE, null);
  }

  /** The check of {@link #servers}, for callers with their own trust manager. */
  public static void checkServer(
      TrustBundle bundle, X509Certificate[] chain, String authType, SpiffeId expected)
      throws CertificateException {
    bundle.checkServer(chain, authType);
    SpiffeId presented = identityOf(chain, "server");
    if (!presented.equals(expected)) {
      throw new CertificateException(
          "server presented identity " + presented + ", expected " + expected);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    switch (role) {
      case CLIENTS:
        throw new CertificateException("this trust manager verifies clients only");
      case SERVERS:
        checkServer(bundle, chain, authType, java.util.Objects.requireNonNull(expected));
        return;
      default:
        bundle.checkServer(chain, authType);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    switch (role) {
      case SERVERS:
        throw new CertificateException("this trust manager verifies servers only");
      case CLIENTS:
        bundle.checkClient(chain, authType);
        identityOf(chain, "client");
        return;
      default:
        bundle.checkClient(chain, authType);
    }
  }

  private static SpiffeId identityOf(X509Certificate[] chain, String peer)
      throws CertificateException {
    X509Certificate leaf = chain[0];
    if (leaf.getBasicConstraints() >= 0) {
      throw new CertificateException(
          peer
              + " certificate "
              + leaf.getSubjectX500Principal().getName()
              + " is a CA certificate (expected a workload certificate)");
    }
    SpiffeId id = X509Identity.spiffeIdOf(leaf);
    if (id == null) {
      throw new CertificateException(
          peer
              + " certificate "
              + leaf.getSubjectX500Principal().getName()
              + " has no SPIFFE ID (expected a URI SAN spiffe://<trust-domain>/...)");
    }
    return id;
  }

  // Socket and engine variants: the same checks; endpoint identification is deliberately skipped.

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return bundle.anchors();
  }

  @Override
  public String toString() {
    return "SpiffeTrustManager{" + role + (expected == null ? "" : " " + expected) + "}";
  }
}
