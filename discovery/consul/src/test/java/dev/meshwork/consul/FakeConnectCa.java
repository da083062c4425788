package dev.meshwork.consul;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A Consul Connect CA minted in the test: an EC root with the URI SAN {@code spiffe://<td>}, leaves
 * for services with Consul's SPIFFE IDs, and both rendered as the agent renders them ({@code
 * /v1/agent/connect/ca/roots} with {@code TrustDomain}, {@code /v1/agent/connect/ca/leaf/<svc>}
 * with {@code CertPEM}, {@code PrivateKeyPEM}, {@code ValidAfter}, {@code ValidBefore}, {@code
 * ModifyIndex}). No key material is committed: every run makes its own.
 */
final class FakeConnectCa {

  /** How a leaf's private key is written: Consul writes EC keys as SEC1, RSA ones as PKCS#1. */
  enum KeyFormat {
    EC_SEC1,
    RSA_PKCS1,
    RSA_PKCS8
  }

  /** A minted root. */
  record Root(String id, X509Certificate certificate, KeyPair keys) {}

  /** A minted leaf with the key it certifies. */
  record Leaf(
      X509Certificate certificate, PrivateKey key, String pem, String keyPem, String json) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicLong SERIALS = new AtomicLong(1000);

  private final String trustDomain;
  private final List<Root> roots = new ArrayList<>();
  private Root active;

  FakeConnectCa(String trustDomain) {
    this.trustDomain = trustDomain;
    this.active = newRoot();
    roots.add(active);
  }

  String trustDomain() {
    return trustDomain;
  }

  Root activeRoot() {
    return active;
  }

  /** Adds a new root and makes it the active one; the old root stays trusted, as in Consul. */
  Root rotateRoot() {
    active = newRoot();
    roots.add(active);
    return active;
  }

  static String spiffeId(String trustDomain, String service) {
    return "spiffe://" + trustDomain + "/ns/default/dc/dc1/svc/" + service;
  }

  /** The {@code /v1/agent/connect/ca/roots} body. */
  String rootsJson() {
    ObjectNode body = JSON.createObjectNode();
    body.put("ActiveRootID", active.id());
    body.put("TrustDomain", trustDomain);
    ArrayNode list = body.putArray("Roots");
    long index = 8;
    for (Root r : roots) {
      ObjectNode o = list.addObject();
      o.put("ID", r.id());
      o.put("Name", "Consul CA Primary Cert");
      o.put("SerialNumber", r.certificate().getSerialNumber().longValue());
      o.put("SigningKeyID", r.id());
      o.put("ExternalTrustDomain", trustDomain.replace(".consul", ""));
      o.put("NotBefore", r.certificate().getNotBefore().toInstant().toString());
      o.put("NotAfter", r.certificate().getNotAfter().toInstant().toString());
      o.put("RootCert", pem(r.certificate()));
      o.putNull("IntermediateCerts");
      o.put("Active", r == active);
      o.put("PrivateKeyType", "ec");
      o.put("PrivateKeyBits", 256);
      o.put("CreateIndex", index);
      o.put("ModifyIndex", index++);
    }
    return body.toString();
  }

  /** A leaf for {@code service}, valid from now for {@code ttl}, signed by the active root. */
  Leaf leaf(String service, KeyFormat format, Duration ttl, long modifyIndex) {
    try {
      KeyPair keys = format == KeyFormat.EC_SEC1 ? ecKeys() : rsaKeys();
      Instant notBefore = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
      Instant notAfter = notBefore.plus(ttl);
      BigInteger serial = BigInteger.valueOf(SERIALS.incrementAndGet());
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              active.certificate(),
              serial,
              Date.from(notBefore),
              Date.from(notAfter),
              new X500Name("CN=" + service),
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(
              KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName(
                  GeneralName.uniformResourceIdentifier, spiffeId(trustDomain, service))));
      X509Certificate cert = sign(b, active.keys().getPrivate());
      String certPem = pem(cert);
      String keyPem =
          switch (format) {
            case EC_SEC1 -> sec1(keys);
            case RSA_PKCS1 -> pem(keys.getPrivate());
            case RSA_PKCS8 -> pkcs8(keys.getPrivate());
          };
      ObjectNode o = JSON.createObjectNode();
      o.put("SerialNumber", HexFormat.ofDelimiter(":").formatHex(serial.toByteArray()));
      o.put("CertPEM", certPem);
      o.put("PrivateKeyPEM", keyPem);
      o.put("Service", service);
      o.put("ServiceURI", spiffeId(trustDomain, service));
      o.put("ValidAfter", notBefore.toString());
      o.put("ValidBefore", notAfter.toString());
      o.put("CreateIndex", modifyIndex);
      o.put("ModifyIndex", modifyIndex);
      return new Leaf(cert, keys.getPrivate(), certPem, keyPem, o.toString());
    } catch (GeneralSecurityException
        | IOException
        | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private Root newRoot() {
    try {
      KeyPair keys = ecKeys();
      Instant notBefore = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(3600);
      long serial = SERIALS.incrementAndGet();
      X500Name name = new X500Name("CN=Consul CA " + serial);
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              BigInteger.valueOf(serial),
              Date.from(notBefore),
              Date.from(notBefore.plus(Duration.ofDays(3650))),
              name,
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + trustDomain)));
      X509Certificate cert = sign(b, keys.getPrivate());
      String id = HexFormat.ofDelimiter(":").formatHex(BigInteger.valueOf(serial).toByteArray());
      return new Root(id, cert, keys);
    } catch (GeneralSecurityException
        | IOException
        | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey)
      throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static KeyPair rsaKeys() throws GeneralSecurityException {
    // Making a 2048-bit RSA key takes up to seconds on a busy machine: RSA leaves share one.
    synchronized (FakeConnectCa.class) {
      if (rsa == null) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        rsa = g.generateKeyPair();
      }
      return rsa;
    }
  }

  private static KeyPair rsa;

  /** PEM as BouncyCastle writes it: certificates, and keys as SEC1 (EC) or PKCS#1 (RSA). */
  static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * SEC1 with the named curve and the public key, as Go's {@code x509.MarshalECPrivateKey} (and so
   * Consul's CA) writes it; BouncyCastle would leave the curve out, taking it from PKCS#8.
   */
  private static String sec1(KeyPair keys) throws IOException {
    SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
    org.bouncycastle.asn1.sec.ECPrivateKey sec1 =
        new org.bouncycastle.asn1.sec.ECPrivateKey(
            256,
            ((ECPrivateKey) keys.getPrivate()).getS(),
            new DERBitString(spki.getPublicKeyData().getBytes()),
            new X962Parameters(SECObjectIdentifiers.secp256r1));
    return pem(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
  }

  private static String pkcs8(PrivateKey key) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(key, null));
    }
    return out.toString();
  }
}
