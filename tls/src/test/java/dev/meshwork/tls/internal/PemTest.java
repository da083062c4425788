package dev.meshwork.tls.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.ConfigException;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.Test;

class PemTest {

  private static KeyPair generate(String algorithm) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
    if (algorithm.equals("EC")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } else if (algorithm.equals("RSA")) {
      g.initialize(2048);
    }
    return g.generateKeyPair();
  }

  private static String pem(Object o) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(o);
    }
    return out.toString();
  }

  private static String pkcs8(PrivateKey key) throws Exception {
    return pem(new JcaPKCS8Generator(key, null).generate());
  }

  private static String traditional(PrivateKey key) throws Exception {
    return pem(new JcaMiscPEMGenerator(key).generate());
  }

  @Test
  void readsPkcs8EcAndRsaAndEd25519Keys() throws Exception {
    for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
      PrivateKey key = generate(algorithm).getPrivate();

      PrivateKey read = Pem.privateKey(pkcs8(key), "svid_key.pem");

      assertThat(read.getEncoded()).isEqualTo(key.getEncoded());
    }
  }

  @Test
  void readsSec1EcKeysAsCertManagerWritesThem() throws Exception {
    PrivateKey key = generate("EC").getPrivate();
    String sec1 = Sec1.pem(key);
    assertThat(sec1).contains("BEGIN EC PRIVATE KEY");

    PrivateKey read = Pem.privateKey(sec1, "tls.key");

    assertThat(read.getAlgorithm()).isEqualTo("EC");
    assertThat(((java.security.interfaces.ECPrivateKey) read).getS())
        .isEqualTo(((java.security.interfaces.ECPrivateKey) key).getS());
  }

  @Test
  void readsPkcs1RsaKeysAsCertManagerWritesThem() throws Exception {
    PrivateKey key = generate("RSA").getPrivate();
    String pkcs1 = traditional(key);
    assertThat(pkcs1).contains("BEGIN RSA PRIVATE KEY");

    PrivateKey read = Pem.privateKey(pkcs1, "tls.key");

    assertThat(read.getEncoded()).isEqualTo(key.getEncoded());
  }

  @Test
  void refusesASec1KeyWithoutItsCurve() throws Exception {
    String withoutCurve = traditional(generate("EC").getPrivate());

    assertThatThrownBy(() -> Pem.privateKey(withoutCurve, "tls.key"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("tls.key: \"EC PRIVATE KEY block\"")
        .hasRootCauseMessage("EC PRIVATE KEY without its curve parameters");
  }

  @Test
  void skipsTheEcParametersBlockBeforeTheKey() throws Exception {
    PrivateKey key = generate("EC").getPrivate();
    String withParameters =
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
            + Sec1.pem(key);

    assertThat(Pem.privateKey(withParameters, "tls.key").getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void aKeyMatchesItsOwnCertificateKeyPairOnly() throws Exception {
    KeyPair a = generate("EC");
    KeyPair b = generate("EC");
    java.security.cert.X509Certificate cert = SelfSigned.certificate(a);

    assertThat(Pem.matches(a.getPrivate(), cert)).isTrue();
    assertThat(Pem.matches(b.getPrivate(), cert)).isFalse();
    assertThat(Pem.matches(generate("RSA").getPrivate(), cert)).isFalse();
  }

  @Test
  void readsEveryCertificateInOrder() throws Exception {
    java.security.cert.X509Certificate one = SelfSigned.certificate(generate("EC"));
    java.security.cert.X509Certificate two = SelfSigned.certificate(generate("EC"));

    assertThat(Pem.certificates(pem(one) + "\n" + pem(two), "tls.crt")).containsExactly(one, two);
  }

  @Test
  void errorsNameTheFileAndWhatWasExpected() {
    assertThatThrownBy(() -> Pem.certificates("hello", "tls.crt"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("tls.crt: \"no PEM blocks\" (expected PEM CERTIFICATE blocks)");
    assertThatThrownBy(
            () ->
                Pem.privateKey(
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
                    "tls.key"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("tls.key: \"ENCRYPTED PRIVATE KEY\" (expected an unencrypted key");
    assertThatThrownBy(
            () ->
                Pem.privateKey(
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "key.pem"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("key.pem: \"PRIVATE KEY block\" (expected a readable PRIVATE KEY");
  }
}
