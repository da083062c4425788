package dev.meshwork.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity.Mode;
import dev.meshwork.X509Identity;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.tls.internal.IdentityTimers;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MeshTlsTest {

  private static final String WEB = "spiffe://cluster.local/ns/shop/sa/web";
  private static final String REVIEWS = "spiffe://cluster.local/ns/default/sa/reviews";
  private static final ServiceName REVIEWS_SERVICE = ServiceName.of("reviews");

  private final FakeTicker ticker = new FakeTicker();
  private final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private final long startNanos = ticker.nanoTime();
  private final Clock clock =
      new Clock() {
        @Override
        public Instant instant() {
          return start.plusNanos(ticker.nanoTime() - startNanos);
        }

        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          throw new UnsupportedOperationException();
        }
      };
  private final RecordingListener events = new RecordingListener();
  private final ManualIdentitySource source = new ManualIdentitySource();
  private final TestPki ca = TestPki.authority("mesh-ca");
  private Mesh mesh;

  private MeshTls tls(Consumer<MeshTls.Builder> configure) {
    MeshTls.Builder b = MeshTls.builder(source).clock(clock);
    configure.accept(b);
    MeshTls tls = b.build();
    mesh =
        Mesh.builder()
            .ticker(ticker)
            .scheduler(ticker.scheduler())
            .listener(events)
            .transportSecurity(tls)
            .build();
    return tls;
  }

  private X509Identity identity(Duration lifetime) {
    return ca.workload(WEB, start, lifetime).identity();
  }

  @AfterEach
  void close() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void renewalIsAskedAt70PercentOfTheRemainingLifetime() {
    tls(b -> {});
    source.push(identity(Duration.ofHours(24)));

    ticker.advance(Duration.ofMinutes(16 * 60 + 47)); // 70 % of 24 h is 16 h 48 min
    assertThat(source.renewals).hasValue(0);
    ticker.advance(Duration.ofMinutes(1));
    assertThat(source.renewals).hasValue(1);

    // No new identity came: ask again after 70 % of what is left (7.2 h -> 5.04 h).
    ticker.advance(Duration.ofMinutes(5 * 60 + 2));
    assertThat(source.renewals).hasValue(1);
    ticker.advance(Duration.ofMinutes(1));
    assertThat(source.renewals).hasValue(2);
  }

  @Test
  void aNewIdentityRestartsTheRenewalClock() {
    tls(b -> {});
    source.push(identity(Duration.ofHours(24)));
    ticker.advance(Duration.ofHours(10));

    source.push(ca.workload(WEB, clock.instant(), Duration.ofHours(24)).identity());
    ticker.advance(Duration.ofHours(8)); // the first identity's renewal time has passed

    assertThat(source.renewals).hasValue(0);
    ticker.advance(Duration.ofHours(9));
    assertThat(source.renewals).hasValue(1);
  }

  @Test
  void aSourceThatCannotRenewIsAskedOnce() {
    source.canRenew = false;
    tls(b -> {});
    source.push(identity(Duration.ofHours(1)));

    ticker.advance(Duration.ofHours(2));

    assertThat(source.renewals).hasValue(1);
  }

  @Test
  void theRenewalDelayIsClampedToTenSecondsAndOneDay() {
    assertThat(IdentityTimers.refreshDelay(start, start.plusSeconds(5)))
        .isEqualTo(Duration.ofSeconds(10));
    assertThat(IdentityTimers.refreshDelay(start, start.minusSeconds(5)))
        .isEqualTo(Duration.ofSeconds(10));
    assertThat(IdentityTimers.refreshDelay(start, start.plus(Duration.ofDays(90))))
        .isEqualTo(Duration.ofHours(24));
    assertThat(IdentityTimers.refreshDelay(start, start.plus(Duration.ofHours(10))))
        .isEqualTo(Duration.ofHours(7));
  }

  @Test
  void expiryIsWarnedFrom24HoursBeforeThenHourlyUntilANewIdentityArrives() {
    source.canRenew = false;
    tls(b -> {});
    source.push(identity(Duration.ofHours(48)));

    ticker.advance(Duration.ofHours(23).plusMinutes(59));
    assertThat(events.events("identityExpiring")).isEmpty();
    ticker.advance(Duration.ofMinutes(1));
    ticker.advance(Duration.ofHours(1));
    assertThat(events.events("identityExpiring"))
        .containsExactly(
            "identityExpiring manual " + WEB + " in PT24H",
            "identityExpiring manual " + WEB + " in PT23H");

    source.push(ca.workload(WEB, clock.instant(), Duration.ofHours(48)).identity());
    ticker.advance(Duration.ofHours(5));
    assertThat(events.events("identityExpiring")).hasSize(2);
  }

  @Test
  void anIdentityThatArrivesNearExpiryIsWarnedAtOnceAndAnExpiredOneAsZero() {
    source.canRenew = false;
    tls(b -> {});
    source.push(identity(Duration.ofHours(2)));
    ticker.runDueTasks();
    ticker.advance(Duration.ofHours(3));

    assertThat(events.events("identityExpiring"))
        .containsExactly(
            "identityExpiring manual " + WEB + " in PT2H",
            "identityExpiring manual " + WEB + " in PT1H",
            "identityExpiring manual " + WEB + " in PT0S",
            "identityExpiring manual " + WEB + " in PT0S");
  }

  @Test
  void everyIdentityIsReportedAndReadableForMetrics() {
    MeshTls tls = tls(b -> {});
    assertThat(tls.identity()).isNull();
    X509Identity id = identity(Duration.ofHours(24));

    source.push(id);

    assertThat(events.events("identityUpdated")).containsExactly("identityUpdated manual " + WEB);
    assertThat(mesh.transportSecurity().identity()).isSameAs(id);
    assertThat(mesh.transportSecurity().identity().notAfter())
        .isEqualTo(start.plus(Duration.ofHours(24)));
    assertThat(tls.localIdentity()).isEqualTo(SpiffeId.parse(WEB));
  }

  @Test
  void theSameIdentityDeliveredAgainChangesNothing() {
    MeshTls tls = tls(b -> {});
    TestPki.Workload w = ca.workload(WEB, start, Duration.ofHours(24));
    source.push(w.identity());
    X509Identity first = tls.identity();

    source.push(w.identity());

    assertThat(tls.identity()).isSameAs(first);
    assertThat(events.events("identityUpdated")).hasSize(1);
  }

  @Test
  void anIdentityWithoutSpiffeIdIsRefusedAndThePreviousOneStays() {
    MeshTls tls = tls(b -> {});
    X509Identity good = identity(Duration.ofHours(24));
    source.push(good);

    source.push(ca.workload(null).identity());

    assertThat(tls.identity()).isSameAs(good);
    assertThat(events.events("sourceFailed"))
        .singleElement()
        .asString()
        .contains("has no SPIFFE ID");
  }

  @Test
  void sourceFailuresAreReportedToTheMesh() {
    tls(b -> {});

    source.fail(new java.io.IOException("tls.crt: no such file"));

    assertThat(events.events("sourceFailed")).singleElement().asString().contains("no such file");
  }

  @Test
  void strictModeExpectsTheEndpointsIdentityOrTheConfiguredOneAndRefusesUnknownEndpoints()
      throws Exception {
    MeshTls tls = tls(b -> b.expectIdentity("ratings", REVIEWS));
    source.push(identity(Duration.ofHours(24)));
    Endpoint known = Endpoint.of("10.0.0.1", 8443).withIdentity(REVIEWS);
    Endpoint unknown = Endpoint.of("10.0.0.2", 8443);

    assertThat(tls.mode(REVIEWS_SERVICE)).isEqualTo(Mode.STRICT);
    assertThat(tls.serverIdentity(REVIEWS_SERVICE, known)).isEqualTo(SpiffeId.parse(REVIEWS));
    assertThat(tls.serverIdentity(ServiceName.of("ratings"), unknown))
        .isEqualTo(SpiffeId.parse(REVIEWS));
    assertThatThrownBy(() -> tls.serverIdentity(REVIEWS_SERVICE, unknown))
        .isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessage(
            "strict mTLS to reviews.default: endpoint 10.0.0.2:8443 has no expected identity"
                + " (expected a SPIFFE ID from discovery or MeshTls.Builder.expectIdentity)");
    assertThatThrownBy(
            () -> tls.serverIdentity(REVIEWS_SERVICE, unknown.withIdentity("reviews.default")))
        .isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessageContaining("SPIFFE ID: \"reviews.default\"");
  }

  @Test
  void permissiveModeUsesMtlsOnlyForEndpointsWithAnIdentityAndDisabledNever() throws Exception {
    MeshTls tls =
        tls(
            b ->
                b.mode("reviews", Mode.PERMISSIVE)
                    .mode("legacy.prod", Mode.DISABLED)
                    .expectIdentity("reviews", REVIEWS));
    source.push(identity(Duration.ofHours(24)));

    assertThat(
            tls.serverIdentity(REVIEWS_SERVICE, Endpoint.of("10.0.0.1", 80).withIdentity(REVIEWS)))
        .isEqualTo(SpiffeId.parse(REVIEWS));
    assertThat(tls.serverIdentity(REVIEWS_SERVICE, Endpoint.of("10.0.0.2", 80))).isNull();
    ServiceName legacy = ServiceName.of("legacy", "prod");
    assertThat(tls.mode(legacy)).isEqualTo(Mode.DISABLED);
    assertThat(tls.serverIdentity(legacy, Endpoint.of("10.0.0.3", 80).withIdentity(REVIEWS)))
        .isNull();
  }

  @Test
  void mtlsIsRefusedUntilThisWorkloadHasAnIdentity() {
    MeshTls tls = tls(b -> {});

    assertThatThrownBy(
            () ->
                tls.serverIdentity(
                    REVIEWS_SERVICE, Endpoint.of("10.0.0.1", 8443).withIdentity(REVIEWS)))
        .isInstanceOf(SSLPeerUnverifiedException.class)
        .hasMessage("mTLS to reviews.default: no workload identity yet from manual");
  }

  @Test
  void aConfiguredLocalIdentityWinsOverTheCertificates() {
    MeshTls tls = tls(b -> b.localIdentity("spiffe://cluster.local/ns/shop/sa/checkout"));
    source.push(identity(Duration.ofHours(24)));

    assertThat(tls.localIdentity())
        .isEqualTo(SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/checkout"));
  }

  @Test
  void theSameIdentityGetsTheSameClientSocketFactory() {
    MeshTls tls = tls(b -> {});
    SpiffeId reviews = SpiffeId.parse(REVIEWS);

    assertThat(tls.clientSocketFactory(reviews)).isSameAs(tls.clientSocketFactory(reviews));
    assertThat(tls.clientSocketFactory(reviews))
        .isNotSameAs(tls.clientSocketFactory(SpiffeId.parse(WEB)));
    assertThat(tls.serverContext()).isSameAs(tls.serverContext());
  }

  @Test
  void oneMeshTlsSecuresOneMesh() {
    MeshTls tls = tls(b -> {});

    assertThatThrownBy(() -> Mesh.builder().transportSecurity(tls).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("MeshTls for manual already secures a mesh");
  }

  @Test
  void awaitIdentityReturnsOnceTheFirstIdentityIsInUse() throws Exception {
    MeshTls tls = tls(b -> {});
    assertThat(tls.awaitIdentity(Duration.ofMillis(1))).isFalse();

    source.push(identity(Duration.ofHours(24)));

    assertThat(tls.awaitIdentity(Duration.ofMillis(1))).isTrue();
  }
}
