package dev.meshwork.consul;

import static dev.meshwork.consul.FakeConsul.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.IdentitySource;
import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import dev.meshwork.testing.FakeTicker;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Connect CA's roots and leaf, watched with blocking queries, delivered and rotated. */
class ConsulIdentitySourceTest {

  private static final String ROOTS = "/v1/agent/connect/ca/roots";
  private static final String LEAF = "/v1/agent/connect/ca/leaf/web";

  private final FakeConsul consul = new FakeConsul();
  private final FakeTicker ticker = new FakeTicker();
  private final List<X509Identity> identities = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private ConsulIdentitySource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
    consul.close();
  }

  private void start() {
    source =
        ConsulIdentitySource.builder(consul.agent(), "web")
            .wait(Duration.ofSeconds(5))
            .scheduler(ticker.scheduler(), ticker)
            .build();
    source.start(
        new IdentitySource.Listener() {
          @Override
          public void identityUpdated(X509Identity identity) {
            identities.add(identity);
          }

          @Override
          public void identityFailed(Throwable error) {
            failures.add(error);
          }
        });
  }

  @Test
  void theLeafAndRootsBecomeAnIdentityAndANewLeafRotatesIt() {
    consul.set(ROOTS, fixture("api-double/agent-connect-ca-roots.json"));
    consul.set(LEAF, fixture("api-double/agent-connect-ca-leaf-web.json"));
    start();

    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 1);
    X509Identity first = identities.get(0);
    assertThat(first.spiffeId())
        .isEqualTo(
            SpiffeId.parse(
                "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web"));
    assertThat(first.trustAnchors()).hasSize(1);

    // The agent answers the blocked leaf query when it has issued a new certificate.
    consul.set(
        LEAF,
        fixture("api-double/agent-connect-ca-leaf-web.json")
            .replace("\"SerialNumber\": \"08\"", "\"SerialNumber\": \"09\""));

    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 2);
    assertThat(failures).isEmpty();
  }

  private static final String TRUST_DOMAIN = "7f3b2a10-5c4d-4e8f-9a0b-1c2d3e4f5a6b.consul";

  /** Asserts that the identity's key is its leaf's and that the leaf chains to {@code root}. */
  private static void assertKeyMatchesAndChainsTo(X509Identity identity, X509Certificate root)
      throws Exception {
    String algorithm =
        identity.privateKey().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    Signature sign = Signature.getInstance(algorithm);
    sign.initSign(identity.privateKey());
    sign.update(new byte[] {4, 2});
    byte[] signature = sign.sign();
    Signature verify = Signature.getInstance(algorithm);
    verify.initVerify(identity.leaf().getPublicKey());
    verify.update(new byte[] {4, 2});
    assertThat(verify.verify(signature)).isTrue();
    identity.leaf().verify(root.getPublicKey());
    identity.leaf().checkValidity();
  }

  @ParameterizedTest
  @EnumSource(FakeConnectCa.KeyFormat.class)
  void aMintedLeafBecomesAnIdentityWithConsulsSpiffeIdAndItsExpiry(FakeConnectCa.KeyFormat format)
      throws Exception {
    FakeConnectCa ca = new FakeConnectCa(TRUST_DOMAIN);
    FakeConnectCa.Leaf leaf = ca.leaf("web", format, Duration.ofHours(72), 20);
    consul.set(ROOTS, ca.rootsJson());
    consul.set(LEAF, leaf.json());
    start();

    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 1);
    X509Identity identity = identities.get(0);
    assertThat(identity.spiffeId())
        .isEqualTo(SpiffeId.consul(TRUST_DOMAIN, "default", "dc1", "web"));
    assertThat(identity.notAfter()).isEqualTo(leaf.certificate().getNotAfter().toInstant());
    assertThat(identity.notBefore()).isEqualTo(leaf.certificate().getNotBefore().toInstant());
    assertThat(identity.privateKey().getAlgorithm())
        .isEqualTo(format == FakeConnectCa.KeyFormat.EC_SEC1 ? "EC" : "RSA");
    assertThat(identity.chain()).containsExactly(leaf.certificate());
    assertThat(identity.trustAnchors()).containsExactly(ca.activeRoot().certificate());
    assertKeyMatchesAndChainsTo(identity, ca.activeRoot().certificate());
    assertThat(failures).isEmpty();
  }

  @Test
  void theKeyFormatsAreTheOnesConsulAndOpenSslWrite() {
    FakeConnectCa ca = new FakeConnectCa(TRUST_DOMAIN);

    assertThat(ca.leaf("web", FakeConnectCa.KeyFormat.EC_SEC1, Duration.ofHours(1), 1).keyPem())
        .startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThat(ca.leaf("web", FakeConnectCa.KeyFormat.RSA_PKCS1, Duration.ofHours(1), 1).keyPem())
        .startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(ca.leaf("web", FakeConnectCa.KeyFormat.RSA_PKCS8, Duration.ofHours(1), 1).keyPem())
        .startsWith("-----BEGIN PRIVATE KEY-----");
  }

  @Test
  void aNewLeafFromTheBlockedQueryRotatesTheIdentityToItsKeyAndExpiry() throws Exception {
    FakeConnectCa ca = new FakeConnectCa(TRUST_DOMAIN);
    FakeConnectCa.Leaf first =
        ca.leaf("web", FakeConnectCa.KeyFormat.EC_SEC1, Duration.ofHours(1), 20);
    consul.set(ROOTS, ca.rootsJson());
    consul.set(LEAF, first.json());
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 1);
    // The watch now hangs on the leaf's index, as an agent's blocking query does until renewal.
    await().atMost(Duration.ofSeconds(10)).until(() -> consul.received(LEAF) >= 2);

    FakeConnectCa.Leaf second =
        ca.leaf("web", FakeConnectCa.KeyFormat.EC_SEC1, Duration.ofHours(72), 21);
    consul.set(LEAF, second.json());

    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 2);
    X509Identity rotated = identities.get(1);
    assertThat(rotated.leaf()).isEqualTo(second.certificate());
    assertThat(rotated.leaf().getSerialNumber())
        .isNotEqualTo(first.certificate().getSerialNumber());
    assertThat(rotated.notAfter()).isEqualTo(second.certificate().getNotAfter().toInstant());
    assertThat(rotated.notAfter()).isAfter(identities.get(0).notAfter());
    assertThat(rotated.spiffeId()).isEqualTo(identities.get(0).spiffeId());
    assertKeyMatchesAndChainsTo(rotated, ca.activeRoot().certificate());
    assertThat(failures).isEmpty();
  }

  @Test
  void aRootRotationTrustsBothRootsAndTheReissuedLeafChainsToTheNewOne() throws Exception {
    FakeConnectCa ca = new FakeConnectCa(TRUST_DOMAIN);
    X509Certificate oldRoot = ca.activeRoot().certificate();
    consul.set(ROOTS, ca.rootsJson());
    consul.set(
        LEAF, ca.leaf("web", FakeConnectCa.KeyFormat.RSA_PKCS1, Duration.ofHours(1), 20).json());
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 1);

    X509Certificate newRoot = ca.rotateRoot().certificate();
    consul.set(ROOTS, ca.rootsJson());
    consul.set(
        LEAF, ca.leaf("web", FakeConnectCa.KeyFormat.RSA_PKCS1, Duration.ofHours(1), 22).json());

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              X509Identity last = identities.get(identities.size() - 1);
              return last.trustAnchors().size() == 2
                  && last.leaf().getIssuerX500Principal().equals(newRoot.getSubjectX500Principal());
            });
    X509Identity last = identities.get(identities.size() - 1);
    assertThat(last.trustAnchors()).containsExactlyInAnyOrder(oldRoot, newRoot);
    assertKeyMatchesAndChainsTo(last, newRoot);
    assertThat(failures).isEmpty();
  }

  @Test
  void renewFetchesTheAgentsLeafAtOnceWhileTheWatchIsStillBlocked() {
    consul.set(ROOTS, fixture("api-double/agent-connect-ca-roots.json"));
    consul.set(LEAF, fixture("api-double/agent-connect-ca-leaf-web.json"), 10);
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> consul.received(LEAF) == 2); // blocked

    // A new leaf at the same index: the blocked watch does not see it, a renewal does.
    consul.set(
        LEAF,
        fixture("api-double/agent-connect-ca-leaf-web.json")
            .replace("\"SerialNumber\": \"08\"", "\"SerialNumber\": \"09\""),
        10);
    assertThat(source.renew()).isTrue();

    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 2);
    assertThat(consul.received(LEAF)).isEqualTo(3);

    // Renewing again with nothing new delivers nothing.
    assertThat(source.renew()).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> consul.requests(LEAF).size() == 3);
    assertThat(identities).hasSize(2);
    assertThat(failures).isEmpty();
  }

  @Test
  void aSourceThatWasNotStartedCannotRenew() {
    assertThat(ConsulIdentitySource.builder(consul.agent(), "web").build().renew()).isFalse();
  }

  @Test
  void anUnreadableLeafIsReportedAndTheLastIdentityStays() {
    consul.set(ROOTS, fixture("api-double/agent-connect-ca-roots.json"));
    consul.set(LEAF, fixture("api-double/agent-connect-ca-leaf-web.json"));
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> identities.size() == 1);

    consul.set(LEAF, "{\"CertPEM\": \"not a certificate\", \"PrivateKeyPEM\": \"\"}");

    await().atMost(Duration.ofSeconds(10)).until(() -> !failures.isEmpty());
    assertThat(failures.get(0).getMessage())
        .startsWith("consul " + LEAF + ": CertPEM: \"not a certificate\"");
    assertThat(identities).hasSize(1);
  }
}
