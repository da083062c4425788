package dev.meshwork.tls.internal;

import java.io.StringWriter;
import java.security.PrivateKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * An EC key in SEC1 PEM with its named curve inside, as OpenSSL and Go (cert-manager) write it.
 * (BouncyCastle's own traditional writer leaves the curve out when the key came from the JDK.)
 */
public final class Sec1 {

  private Sec1() {}

  public static String pem(PrivateKey key) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
      AlgorithmIdentifier algorithm = info.getPrivateKeyAlgorithm();
      ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
      ECPrivateKey withCurve =
          new ECPrivateKey(256, inner.getKey(), inner.getPublicKey(), algorithm.getParameters());
      StringWriter out = new StringWriter();
      try (PemWriter w = new PemWriter(out)) {
        w.writeObject(new PemObject("EC PRIVATE KEY", withCurve.getEncoded()));
      }
      return out.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
