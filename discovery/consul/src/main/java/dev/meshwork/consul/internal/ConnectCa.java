package dev.meshwork.consul.internal;

import dev.meshwork.ConfigException;
import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Consul Connect's CA answers: {@code /v1/agent/connect/ca/roots} (the trust anchors) and {@code
 * /v1/agent/connect/ca/leaf/<service>} (the service's certificate and key), and the {@link
 * X509Identity} they make together. Key material never appears in error messages.
 */
public final class ConnectCa {

  private ConnectCa() {}

  /** The CA roots: every root certificate, and the active root's intermediates. */
  public record Roots(
      String activeRootId,
      String trustDomain,
      List<X509Certificate> anchors,
      List<X509Certificate> activeIntermediates) {}

  /** A leaf certificate with its key; {@code chain} starts with the leaf. */
  public record Leaf(
      String serialNumber,
      List<X509Certificate> chain,
      PrivateKey privateKey,
      String service,
      String serviceUri,
      @Nullable Instant validAfter,
      @Nullable Instant validBefore) {}

  public static Roots parseRoots(Json json) {
    json.requireObject();
    String active = json.string("ActiveRootID", "");
    List<X509Certificate> anchors = new ArrayList<>();
    List<X509Certificate> intermediates = new ArrayList<>();
    for (Json r : json.array("Roots")) {
      r.requireObject();
      anchors.addAll(certificates(r.field("RootCert"), true));
      boolean isActive = r.bool("Active", false) || r.string("ID", "").equals(active);
      for (Json pem : r.array("IntermediateCerts")) {
        if (isActive) {
          intermediates.addAll(certificates(pem, true));
        }
      }
    }
    if (anchors.isEmpty()) {
      throw json.field("Roots").error("at least one root certificate");
    }
    return new Roots(
        active, json.string("TrustDomain", ""), List.copyOf(anchors), List.copyOf(intermediates));
  }

  public static Leaf parseLeaf(Json json) {
    json.requireObject();
    List<X509Certificate> chain = certificates(json.field("CertPEM"), true);
    Json keyAt = json.field("PrivateKeyPEM");
    String keyPem = json.string("PrivateKeyPEM", "");
    PrivateKey key;
    try {
      key = PemKeys.privateKey(keyPem);
    } catch (GeneralSecurityException e) {
      throw ConfigException.of(
          keyAt.origin(), keyAt.path(), "(redacted)", "a PEM private key: " + e.getMessage());
    }
    return new Leaf(
        json.string("SerialNumber", ""),
        chain,
        key,
        json.string("Service", ""),
        json.string("ServiceURI", ""),
        instant(json, "ValidAfter"),
        instant(json, "ValidBefore"));
  }

  /**
   * The CA's SPIFFE trust domain: {@code TrustDomain}, or, from Consul versions that do not send
   * it, the trust domain of the active root's SPIFFE ID (Consul's roots carry {@code
   * spiffe://<td>}).
   *
   * @throws ConfigException when neither says
   */
  public static String trustDomain(Roots roots, Json at) {
    if (!roots.trustDomain().isEmpty()) {
      return roots.trustDomain();
    }
    for (X509Certificate anchor : roots.anchors()) {
      SpiffeId id = X509Identity.spiffeIdOf(anchor);
      if (id != null) {
        return id.trustDomain();
      }
    }
    throw at.field("TrustDomain").error("a trust domain (or roots with a SPIFFE ID)");
  }

  /** Whether Consul answered that Connect is not enabled on this cluster. */
  public static boolean isConnectDisabled(Throwable error) {
    return error instanceof ConsulCallException
        && ((ConsulCallException) error).status() == 500
        && String.valueOf(error.getMessage()).contains("Connect must be enabled");
  }

  /** The identity for TLS: the leaf's chain (plus the active intermediates) and the roots. */
  public static X509Identity identity(Leaf leaf, Roots roots) {
    List<X509Certificate> chain = new ArrayList<>(leaf.chain());
    for (X509Certificate i : roots.activeIntermediates()) {
      if (!chain.contains(i)) {
        chain.add(i);
      }
    }
    return X509Identity.of(chain, leaf.privateKey(), roots.anchors());
  }

  private static List<X509Certificate> certificates(Json at, boolean required) {
    if (at.isAbsent()) {
      if (required) {
        throw at.error("a PEM certificate");
      }
      return List.of();
    }
    String pem = at.text();
    try {
      return PemKeys.certificates(pem);
    } catch (GeneralSecurityException e) {
      throw ConfigException.of(
          at.origin(),
          at.path(),
          RawBody.excerpt(pem),
          "a PEM certificate (" + e.getMessage() + ")");
    }
  }

  private static @Nullable Instant instant(Json json, String field) {
    String v = json.string(field, "");
    if (v.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw json.field(field).error("an RFC 3339 time such as \"2018-05-21T16:33:28Z\"");
    }
  }
}
