package dev.meshwork.consul;

import static dev.meshwork.consul.FakeConsul.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.IdentitySource;
import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import dev.meshwork.testing.FakeTicker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
