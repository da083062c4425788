package dev.meshwork.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.ConfigException;
import dev.meshwork.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileIdentitySourceTest {

  private static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";
  private static final Duration BOUND = Duration.ofSeconds(5);

  @TempDir Path dir;
  private final TestPki ca = TestPki.authority("mesh-ca");
  private final RecordingIdentityListener listener = new RecordingIdentityListener();
  private FileIdentitySource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  @Test
  void loadsTheCertManagerLayoutAndFollowsItsAtomicSymlinkSwap() {
    TestPki.Workload first = ca.workload(WEB);
    first.writeCertManager(dir);
    source = FileIdentitySource.certManager(dir);

    source.start(listener);

    await().atMost(BOUND).until(() -> listener.identities.size() == 1);
    assertThat(listener.last().spiffeId()).isEqualTo(SpiffeId.parse(WEB));
    assertThat(listener.last().leaf()).isEqualTo(first.certificate);
    assertThat(listener.last().trustAnchors()).containsExactly(ca.certificate);

    TestPki.Workload rotated = ca.workload(WEB);
    rotated.writeCertManager(dir);

    await().atMost(BOUND).until(() -> listener.identities.size() == 2);
    assertThat(listener.last().leaf()).isEqualTo(rotated.certificate);
    assertThat(((ECPrivateKey) listener.last().privateKey()).getS())
        .isEqualTo(((ECPrivateKey) rotated.key).getS());
    assertThat(listener.failures).isEmpty();
  }

  @Test
  void loadsTheSpiffeHelperLayoutWithPkcs8Keys() {
    TestPki.Workload svid = ca.workload(WEB);
    svid.writeSpiffeHelper(dir);
    source = FileIdentitySource.spiffeHelper(dir);

    source.start(listener);

    await().atMost(BOUND).until(() -> listener.identities.size() == 1);
    assertThat(listener.last().leaf()).isEqualTo(svid.certificate);
    assertThat(source.name()).isEqualTo("identity files " + dir.toAbsolutePath());
  }

  @Test
  void readsRsaKeysInPkcs1() {
    TestPki.Workload rsa = ca.rsaWorkload(WEB);
    rsa.writeCertManager(dir);
    source = FileIdentitySource.certManager(dir);

    source.start(listener);

    await().atMost(BOUND).until(() -> listener.identities.size() == 1);
    assertThat(listener.last().privateKey().getAlgorithm()).isEqualTo("RSA");
  }

  @Test
  void aKeyThatDoesNotMatchTheCertificateIsReportedAndTheLastIdentityStays() throws Exception {
    TestPki.Workload first = ca.workload(WEB);
    first.writeSpiffeHelper(dir);
    source = FileIdentitySource.spiffeHelper(dir);
    source.start(listener);
    await().atMost(BOUND).until(() -> listener.identities.size() == 1);

    // A writer caught between files: the new certificate next to the old key.
    TestPki.Workload next = ca.workload(WEB);
    TestPki.write(dir.resolve("svid.pem"), next.certificatePem());

    await().atMost(BOUND).until(() -> listener.failures.size() == 1);
    assertThat(listener.failures.get(0))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "svid_key.pem: \"EC private key\" (expected the key of the certificate in svid.pem");
    assertThat(listener.identities).hasSize(1);

    TestPki.write(dir.resolve("svid_key.pem"), next.pkcs8Pem());

    await().atMost(BOUND).until(() -> listener.identities.size() == 2);
    assertThat(listener.last().leaf()).isEqualTo(next.certificate);
  }

  @Test
  void missingFilesAreReportedOnceAndPickedUpWhenTheyAppear() {
    source =
        FileIdentitySource.builder(
                dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt"))
            .checkInterval(Duration.ofMillis(50))
            .build();
    source.start(listener);
    await().atMost(BOUND).until(() -> listener.failures.size() == 1);

    ca.workload(WEB).writeCertManager(dir);

    await().atMost(BOUND).until(() -> listener.identities.size() == 1);
    assertThat(listener.failures).hasSize(1);
  }

  @Test
  void withoutWatchingThePeriodicCheckFindsChanges() throws Exception {
    ca.workload(WEB).writeSpiffeHelper(dir);
    source =
        FileIdentitySource.builder(
                dir.resolve("svid.pem"), dir.resolve("svid_key.pem"), dir.resolve("bundle.pem"))
            .watch(false)
            .checkInterval(Duration.ofMillis(50))
            .build();
    source.start(listener);
    await().atMost(BOUND).until(() -> listener.identities.size() == 1);

    TestPki other = TestPki.authority("next-ca");
    TestPki.Workload rotated = other.workload(WEB);
    rotated.writeSpiffeHelper(dir);

    await().atMost(BOUND).until(() -> listener.identities.size() == 2);
    assertThat(listener.last().trustAnchors()).containsExactly(other.certificate);
  }

  @Test
  void unchangedFilesAreNotDeliveredAgain() throws Exception {
    ca.workload(WEB).writeSpiffeHelper(dir);
    source =
        FileIdentitySource.builder(
                dir.resolve("svid.pem"), dir.resolve("svid_key.pem"), dir.resolve("bundle.pem"))
            .checkInterval(Duration.ofMillis(20))
            .build();
    source.start(listener);
    await().atMost(BOUND).until(() -> listener.identities.size() == 1);

    // Rewriting the same bytes (and unrelated files) changes nothing.
    Files.writeString(dir.resolve("unrelated.txt"), "x");
    Files.write(dir.resolve("bundle.pem"), Files.readAllBytes(dir.resolve("bundle.pem")));
    TestPki.Workload rotated = ca.workload(WEB);
    rotated.writeSpiffeHelper(dir);

    await().atMost(BOUND).until(() -> listener.identities.size() == 2);
    assertThat(listener.identities.get(1).leaf()).isEqualTo(rotated.certificate);
  }
}
