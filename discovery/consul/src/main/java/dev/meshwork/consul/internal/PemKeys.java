package dev.meshwork.consul.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys with the JDK alone: certificates through {@link
 * CertificateFactory}; keys in PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}, what
 * Consul's CA issues) and PKCS#1 ({@code RSA PRIVATE KEY}), the latter two rewrapped as PKCS#8 for
 * {@link KeyFactory}.
 */
public final class PemKeys {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  /** id-ecPublicKey, 1.2.840.10045.2.1. */
  private static final byte[] EC_PUBLIC_KEY = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
  };

  /** rsaEncryption, 1.2.840.113549.1.1.1, with its NULL parameters. */
  private static final byte[] RSA_ENCRYPTION = {
    0x06,
    0x09,
    0x2a,
    (byte) 0x86,
    0x48,
    (byte) 0x86,
    (byte) 0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00
  };

  private PemKeys() {}

  /** Every certificate in {@code pem}, in order. */
  public static List<X509Certificate> certificates(String pem) throws CertificateException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    for (var c :
        cf.generateCertificates(
            new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
      out.add((X509Certificate) c);
    }
    if (out.isEmpty()) {
      throw new CertificateException("no certificate in PEM");
    }
    return out;
  }

  /**
   * The first private key in {@code pem}.
   *
   * @throws GeneralSecurityException if there is none or it cannot be read
   */
  public static PrivateKey privateKey(String pem) throws GeneralSecurityException {
    Matcher m = BLOCK.matcher(pem);
    while (m.find()) {
      String type = m.group(1);
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new GeneralSecurityException(type + ": invalid base64", e);
      }
      switch (type) {
        case "PRIVATE KEY":
          return pkcs8(der);
        case "EC PRIVATE KEY":
          return KeyFactory.getInstance("EC")
              .generatePrivate(new PKCS8EncodedKeySpec(sec1ToPkcs8(der)));
        case "RSA PRIVATE KEY":
          byte[] info =
              Der.sequence(Der.integerZero(), Der.sequence(RSA_ENCRYPTION), Der.octetString(der));
          return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(info));
        default:
          continue;
      }
    }
    throw new GeneralSecurityException(
        "no private key (expected PEM \"PRIVATE KEY\", \"EC PRIVATE KEY\" or \"RSA PRIVATE KEY\")");
  }

  private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
    GeneralSecurityException last = null;
    for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  /** SEC1 {@code ECPrivateKey} to PKCS#8 {@code PrivateKeyInfo}, taking the curve from SEC1. */
  static byte[] sec1ToPkcs8(byte[] sec1) throws GeneralSecurityException {
    Der.Reader seq = new Der.Reader(sec1).enter(0x30);
    seq.next(0x02); // version
    seq.next(0x04); // private key
    byte[] curve = null;
    while (seq.hasMore()) {
      Der.Tlv t = seq.nextAny();
      if (t.tag() == 0xa0) {
        curve = t.content();
      }
    }
    if (curve == null) {
      throw new GeneralSecurityException("EC PRIVATE KEY without curve parameters");
    }
    ByteArrayOutputStream alg = new ByteArrayOutputStream();
    alg.writeBytes(EC_PUBLIC_KEY);
    alg.writeBytes(curve);
    return Der.sequence(Der.integerZero(), Der.sequence(alg.toByteArray()), Der.octetString(sec1));
  }
}
