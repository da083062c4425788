package dev.meshwork.tls.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.X509Identity;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReloadingKeyManagerTest {

  private final ReloadingKeyManager keys = new ReloadingKeyManager();

  private static X509Identity identity(String algorithm) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
    if (algorithm.equals("EC")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } else {
      g.initialize(2048);
    }
    KeyPair pair = g.generateKeyPair();
    X509Certificate cert = SelfSigned.certificate(pair);
    return X509Identity.of(List.of(cert), pair.getPrivate(), List.of(cert));
  }

  @Test
  void aHandshakeThatChoseItsAliasBeforeARotationFinishesWithTheOldChainAndKey() throws Exception {
    X509Identity first = identity("EC");
    X509Identity second = identity("EC");
    keys.use(first);
    String chosen = keys.chooseClientAlias(new String[] {"EC"}, null, null);

    keys.use(second);

    assertThat(keys.getCertificateChain(chosen)).containsExactly(first.leaf());
    assertThat(keys.getPrivateKey(chosen)).isEqualTo(first.privateKey());
    String next = keys.chooseServerAlias("EC", null, null);
    assertThat(next).isNotEqualTo(chosen);
    assertThat(keys.getCertificateChain(next)).containsExactly(second.leaf());
  }

  @Test
  void onlyTheCurrentAndThePreviousIdentitiesResolve() throws Exception {
    keys.use(identity("EC"));
    String oldest = keys.chooseClientAlias(new String[] {"EC"}, null, null);
    keys.use(identity("EC"));
    keys.use(identity("EC"));

    assertThat(keys.getCertificateChain(oldest)).isNull();
    assertThat(keys.getPrivateKey(oldest)).isNull();
  }

  @Test
  void aliasesAreOfferedOnlyForTheKeyTypeOfTheIdentity() throws Exception {
    assertThat(keys.chooseClientAlias(new String[] {"EC"}, null, null)).isNull();
    keys.use(identity("RSA"));

    assertThat(keys.chooseServerAlias("EC", null, null)).isNull();
    assertThat(keys.chooseServerAlias("RSA", null, null)).isNotNull();
    assertThat(keys.chooseEngineClientAlias(new String[] {"EC", "RSA"}, null, null)).isNotNull();
    assertThat(keys.chooseServerAlias("EC_RSA", null, null)).isNull();
    assertThat(keys.getServerAliases("RSA", null)).hasSize(1);
  }
}
