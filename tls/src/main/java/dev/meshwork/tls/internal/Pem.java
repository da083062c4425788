package dev.meshwork.tls.internal;

import dev.meshwork.ConfigException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM with the JDK alone. Certificates: every {@code CERTIFICATE} block, in order. Private keys:
 * PKCS#8 ({@code PRIVATE KEY}: EC, RSA, RSASSA-PSS, Ed25519, Ed448), SEC1 ({@code EC PRIVATE KEY},
 * what cert-manager writes for ECDSA) and PKCS#1 ({@code RSA PRIVATE KEY}, cert-manager's default
 * for RSA), the latter two rewrapped as PKCS#8 for {@link KeyFactory}. Errors are {@link
 * ConfigException}s that name the file. Stateless.
 *
 * <pre>{@code
 * List<X509Certificate> chain = Pem.certificates(Files.readString(crt), "tls.crt");
 * PrivateKey key = Pem.privateKey(Files.readString(keyFile), "tls.key");
 * boolean pair = Pem.matches(key, chain.get(0));
 * }</pre>
 */
public final class Pem {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");

  private static final byte[] RSA = oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
  private static final byte[] RSA_PSS = oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a);
  private static final byte[] EC = oid(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
  private static final byte[] ED25519 = oid(0x2b, 0x65, 0x70);
  private static final byte[] ED448 = oid(0x2b, 0x65, 0x71);
  private static final byte[] VERSION_0 = {Der.INTEGER, 1, 0};
  private static final byte[] DER_NULL = {Der.NULL, 0};

  private static final String KEY_BLOCKS = "a PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block";

  private Pem() {}

  private static byte[] oid(int... bytes) {
    byte[] content = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      content[i] = (byte) bytes[i];
    }
    return Der.tlv(Der.OID, content);
  }

  /** Every certificate in {@code pem}, in order; {@code origin} names the file in errors. */
  public static List<X509Certificate> certificates(String pem, String origin) {
    List<X509Certificate> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(pem);
    int index = 0;
    while (m.find()) {
      if (!m.group(1).equals("CERTIFICATE")) {
        continue;
      }
      try {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        out.add(
            (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(decode(m.group(2)))));
      } catch (CertificateException | IllegalArgumentException e) {
        throw ConfigException.of(
            origin, "certificate[" + index + "]", "unreadable", "an X.509 certificate", e);
      }
      index++;
    }
    if (out.isEmpty()) {
      throw ConfigException.of(origin, "", summary(pem), "PEM CERTIFICATE blocks");
    }
    return out;
  }

  /** The first private key in {@code pem}; {@code origin} names the file in errors. */
  public static PrivateKey privateKey(String pem, String origin) {
    Matcher m = BLOCK.matcher(pem);
    while (m.find()) {
      String type = m.group(1);
      if (!type.endsWith("PRIVATE KEY")) {
        continue; // e.g. the EC PARAMETERS block `openssl ecparam -genkey` writes first
      }
      try {
        byte[] der = decode(m.group(2));
        switch (type) {
          case "PRIVATE KEY":
            return pkcs8(der);
          case "EC PRIVATE KEY":
            return pkcs8(sec1ToPkcs8(der));
          case "RSA PRIVATE KEY":
            return pkcs8(
                Der.tlv(
                    Der.SEQUENCE,
                    VERSION_0,
                    Der.tlv(Der.SEQUENCE, RSA, DER_NULL),
                    Der.tlv(Der.OCTET_STRING, der)));
          default:
            throw ConfigException.of(origin, "", type, "an unencrypted key: " + KEY_BLOCKS);
        }
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        throw ConfigException.of(origin, "", type + " block", "a readable " + type, e);
      }
    }
    throw ConfigException.of(origin, "", summary(pem), KEY_BLOCKS);
  }

  /**
   * Whether {@code key} is the private half of {@code certificate}'s public key: a signature made
   * with one verifies with the other. Catches a certificate and key caught mid-rotation.
   */
  public static boolean matches(PrivateKey key, X509Certificate certificate) {
    byte[] probe = "meshwork key check".getBytes(StandardCharsets.US_ASCII);
    try {
      Signature signer = signature(key.getAlgorithm());
      signer.initSign(key);
      signer.update(probe);
      byte[] signed = signer.sign();
      Signature verifier = signature(key.getAlgorithm());
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signed);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static Signature signature(String keyAlgorithm) throws GeneralSecurityException {
    switch (keyAlgorithm) {
      case "EC":
        return Signature.getInstance("SHA256withECDSA");
      case "RSA":
        return Signature.getInstance("SHA256withRSA");
      case "RSASSA-PSS":
        Signature pss = Signature.getInstance("RSASSA-PSS");
        pss.setParameter(
            new PSSParameterSpec(
                "SHA-256",
                "MGF1",
                MGF1ParameterSpec.SHA256,
                32,
                PSSParameterSpec.TRAILER_FIELD_BC));
        return pss;
      default:
        return Signature.getInstance(keyAlgorithm); // Ed25519, Ed448, EdDSA
    }
  }

  private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
    List<Der.Element> info = Der.sequence(der);
    if (info.size() < 3 || info.get(1).tag() != Der.SEQUENCE) {
      throw new IllegalArgumentException("not a PKCS#8 PrivateKeyInfo");
    }
    byte[] algorithmOid = Der.sequence(info.get(1).encoded()).get(0).encoded();
    String algorithm;
    if (Arrays.equals(algorithmOid, EC)) {
      algorithm = "EC";
    } else if (Arrays.equals(algorithmOid, RSA)) {
      algorithm = "RSA";
    } else if (Arrays.equals(algorithmOid, RSA_PSS)) {
      algorithm = "RSASSA-PSS";
    } else if (Arrays.equals(algorithmOid, ED25519)) {
      algorithm = "Ed25519";
    } else if (Arrays.equals(algorithmOid, ED448)) {
      algorithm = "Ed448";
    } else {
      throw new IllegalArgumentException("unsupported key algorithm (expected EC, RSA or EdDSA)");
    }
    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  /** SEC1's ECPrivateKey carries its curve in [0]; PKCS#8 wants it in the algorithm. */
  private static byte[] sec1ToPkcs8(byte[] sec1) {
    byte[] curve = null;
    for (Der.Element e : Der.sequence(sec1)) {
      if (e.tag() == 0xa0) {
        curve = e.content();
      }
    }
    if (curve == null) {
      throw new IllegalArgumentException("EC PRIVATE KEY without its curve parameters");
    }
    return Der.tlv(
        Der.SEQUENCE, VERSION_0, Der.tlv(Der.SEQUENCE, EC, curve), Der.tlv(Der.OCTET_STRING, sec1));
  }

  private static byte[] decode(String base64) {
    return Base64.getMimeDecoder().decode(base64);
  }

  /** What a file without the expected blocks holds, for the error message. */
  private static String summary(String pem) {
    List<String> types = new ArrayList<>();
    Matcher m = BLOCK.matcher(pem);
    while (m.find()) {
      types.add(m.group(1));
    }
    return types.isEmpty() ? "no PEM blocks" : "PEM blocks " + types;
  }
}
