package dev.meshwork.tls;

import dev.meshwork.X509Identity;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * A certificate authority minted for one test, and the workload certificates it issues (SPIFFE IDs
 * in URI SANs, any validity, EC or RSA keys), written as PEM in the layouts real issuers use. No
 * key ever leaves the test's temporary directory.
 */
final class TestPki {

  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

  final String name;
  final KeyPair keys;
  final X509Certificate certificate;

  private TestPki(String name) {
    this.name = name;
    this.keys = ec();
    this.certificate =
        sign(
            new X500Name("CN=" + name),
            keys,
            keys.getPrivate(),
            new X500Name("CN=" + name),
            null,
            true,
            Instant.now().minus(Duration.ofDays(1)),
            Instant.now().plus(Duration.ofDays(30)));
  }

  static TestPki authority(String name) {
    return new TestPki(name);
  }

  /** A workload certificate valid from a minute ago for an hour. */
  Workload workload(@Nullable String spiffeId) {
    return workload(spiffeId, Instant.now().minus(Duration.ofMinutes(1)), Duration.ofHours(1));
  }

  Workload workload(@Nullable String spiffeId, Instant notBefore, Duration lifetime) {
    return issue(spiffeId, ec(), notBefore, notBefore.plus(lifetime), false);
  }

  Workload rsaWorkload(String spiffeId) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      Instant now = Instant.now();
      return issue(
          spiffeId, g.generateKeyPair(), now.minusSeconds(60), now.plusSeconds(3600), false);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A certificate that is a CA itself but carries a SPIFFE ID. */
  Workload caWorkload(String spiffeId) {
    Instant now = Instant.now();
    return issue(spiffeId, ec(), now.minusSeconds(60), now.plusSeconds(3600), true);
  }

  private Workload issue(
      @Nullable String spiffeId, KeyPair pair, Instant notBefore, Instant notAfter, boolean ca) {
    String cn =
        spiffeId == null ? "no-spiffe-id" : spiffeId.substring(spiffeId.lastIndexOf('/') + 1);
    GeneralName[] sans =
        spiffeId == null
            ? new GeneralName[] {new GeneralName(GeneralName.dNSName, "localhost")}
            : new GeneralName[] {new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)};
    X509Certificate cert =
        sign(
            new X500Name("CN=" + name),
            pair,
            keys.getPrivate(),
            new X500Name("CN=" + cn),
            sans,
            ca,
            notBefore,
            notAfter);
    return new Workload(this, cert, pair.getPrivate());
  }

  /** A leaf and its key, issued by {@link #authority}. */
  static final class Workload {
    final TestPki issuer;
    final X509Certificate certificate;
    final PrivateKey key;

    Workload(TestPki issuer, X509Certificate certificate, PrivateKey key) {
      this.issuer = issuer;
      this.certificate = certificate;
      this.key = key;
    }

    /** The identity, trusting {@code anchors} (the issuer's CA by default). */
    X509Identity identity(TestPki... anchors) {
      List<X509Certificate> roots = new ArrayList<>();
      for (TestPki a : anchors.length == 0 ? new TestPki[] {issuer} : anchors) {
        roots.add(a.certificate);
      }
      return X509Identity.of(List.of(certificate), key, roots);
    }

    String certificatePem() {
      return pem(certificate);
    }

    /** The key as PKCS#8 ({@code PRIVATE KEY}). */
    String pkcs8Pem() {
      try {
        return pem(new JcaPKCS8Generator(key, null).generate());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /** The key in OpenSSL's traditional form: SEC1 {@code EC PRIVATE KEY} or PKCS#1 RSA. */
    String traditionalPem() {
      try {
        if (key.getAlgorithm().equals("EC")) {
          return dev.meshwork.tls.internal.Sec1.pem(key);
        }
        return pem(new JcaMiscPEMGenerator(key).generate());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * Writes the files as cert-manager's CSI driver (Kubernetes' atomic writer) does: a new
     * timestamped directory, then one rename of the {@code ..data} symlink to it; {@code tls.crt},
     * {@code tls.key} and {@code ca.crt} are symlinks through {@code ..data}.
     */
    void writeCertManager(Path dir) {
      try {
        Files.createDirectories(dir);
        Path version = Files.createTempDirectory(dir, "..version-");
        write(version.resolve("tls.crt"), certificatePem());
        write(version.resolve("tls.key"), traditionalPem());
        write(version.resolve("ca.crt"), pem(issuer.certificate));
        Path tmp = dir.resolve("..data_tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, version.getFileName());
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        for (String f : List.of("tls.crt", "tls.key", "ca.crt")) {
          if (!Files.exists(dir.resolve(f), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(dir.resolve(f), Path.of("..data", f));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Writes the files as spiffe-helper does: each file in place, one after the other. */
    void writeSpiffeHelper(Path dir) {
      try {
        Files.createDirectories(dir);
        write(dir.resolve("svid.pem"), certificatePem());
        write(dir.resolve("svid_key.pem"), pkcs8Pem());
        write(dir.resolve("bundle.pem"), pem(issuer.certificate));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }

  static String pem(Object o) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(
      X500Name issuer,
      KeyPair subjectKeys,
      PrivateKey issuerKey,
      X500Name subject,
      GeneralName @Nullable [] sans,
      boolean ca,
      Instant notBefore,
      Instant notAfter) {
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              subjectKeys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(
              ca
                  ? KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature
                  : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      if (sans != null) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
