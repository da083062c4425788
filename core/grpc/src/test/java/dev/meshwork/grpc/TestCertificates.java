package dev.meshwork.grpc;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A CA and leaf certificates minted for one test; no key ever touches the disk. */
final class TestCertificates {

  private static final AtomicLong SERIAL = new AtomicLong(1);

  final KeyPair caKeys = ecKeys();
  final X509Certificate ca = sign("CN=test-ca", caKeys, caKeys.getPrivate(), null, true);

  /** A leaf with a DNS name and, when given, a SPIFFE ID (URI SAN). */
  Leaf leaf(String dnsName, String spiffeId) {
    KeyPair keys = ecKeys();
    GeneralName[] names =
        spiffeId == null
            ? new GeneralName[] {new GeneralName(GeneralName.dNSName, dnsName)}
            : new GeneralName[] {
              new GeneralName(GeneralName.dNSName, dnsName),
              new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)
            };
    return new Leaf(
        keys.getPrivate(), sign("CN=" + dnsName, keys, caKeys.getPrivate(), names, false));
  }

  TrustManager[] trustManagers() throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", ca);
    TrustManagerFactory f =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    return f.getTrustManagers();
  }

  final class Leaf {
    final PrivateKey key;
    final X509Certificate certificate;

    Leaf(PrivateKey key, X509Certificate certificate) {
      this.key = key;
      this.certificate = certificate;
    }

    KeyManager[] keyManagers() throws Exception {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = "test".toCharArray();
      store.setKeyEntry("leaf", key, password, new X509Certificate[] {certificate, ca});
      KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      f.init(store, password);
      return f.getKeyManagers();
    }
  }

  private static KeyPair ecKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private X509Certificate sign(
      String subject, KeyPair keys, PrivateKey issuerKey, GeneralName[] names, boolean isCa) {
    try {
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              isCa ? new X500Name(subject) : new X500Name(ca.getSubjectX500Principal().getName()),
              BigInteger.valueOf(SERIAL.getAndIncrement()),
              Date.from(now.minus(Duration.ofMinutes(1))),
              Date.from(now.plus(Duration.ofHours(1))),
              new X500Name(subject),
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      if (names != null) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
