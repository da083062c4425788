package dev.meshwork;

import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A workload's X.509 identity (an SVID): its certificate chain and private key, and the trust
 * anchors it accepts peers from. Delivered by an {@link IdentitySource} (files, Consul Connect) and
 * turned into key and trust managers by {@code meshwork-tls}.
 *
 * <p>Immutable; holds JDK types only.
 *
 * <pre>{@code
 * X509Identity id = X509Identity.of(List.of(leaf, intermediate), key, List.of(root));
 * id.spiffeId();   // from the leaf's URI SAN
 * id.notAfter();   // when it must have been rotated
 * }</pre>
 */
public final class X509Identity {

  private final List<X509Certificate> chain;
  private final PrivateKey privateKey;
  private final List<X509Certificate> trustAnchors;
  private final @Nullable SpiffeId spiffeId;

  private X509Identity(
      List<X509Certificate> chain, PrivateKey privateKey, List<X509Certificate> trustAnchors) {
    this.chain = chain;
    this.privateKey = privateKey;
    this.trustAnchors = trustAnchors;
    this.spiffeId = spiffeIdOf(chain.get(0));
  }

  /**
   * @param chain the leaf certificate first, then intermediates
   * @param trustAnchors root certificates that peers' chains must lead to
   */
  public static X509Identity of(
      List<X509Certificate> chain,
      PrivateKey privateKey,
      Collection<X509Certificate> trustAnchors) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("identity chain: [] (expected a leaf certificate)");
    }
    if (trustAnchors.isEmpty()) {
      throw new IllegalArgumentException("identity trust anchors: [] (expected a root)");
    }
    return new X509Identity(
        List.copyOf(chain),
        Objects.requireNonNull(privateKey, "privateKey"),
        List.copyOf(trustAnchors));
  }

  /** The SPIFFE ID in a certificate's URI SANs, or null if it has none. */
  public static @Nullable SpiffeId spiffeIdOf(X509Certificate certificate) {
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      if (sans == null) {
        return null;
      }
      for (List<?> san : sans) {
        // Type 6 is uniformResourceIdentifier (RFC 5280).
        if (Integer.valueOf(6).equals(san.get(0))
            && san.get(1) instanceof String
            && ((String) san.get(1)).regionMatches(true, 0, "spiffe://", 0, 9)) {
          return SpiffeId.parse((String) san.get(1));
        }
      }
      return null;
    } catch (CertificateParsingException | IllegalArgumentException e) {
      return null;
    }
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public List<X509Certificate> chain() {
    return chain;
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  public List<X509Certificate> trustAnchors() {
    return trustAnchors;
  }

  /** The leaf's SPIFFE ID, or null if its certificate carries none. */
  public @Nullable SpiffeId spiffeId() {
    return spiffeId;
  }

  public Instant notBefore() {
    return leaf().getNotBefore().toInstant();
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  @Override
  public String toString() {
    return "X509Identity{"
        + (spiffeId != null ? spiffeId : leaf().getSubjectX500Principal())
        + ", notAfter="
        + notAfter()
        + ", anchors="
        + trustAnchors.size()
        + "}";
  }
}
