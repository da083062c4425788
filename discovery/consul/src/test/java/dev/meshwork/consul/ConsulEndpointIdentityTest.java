package dev.meshwork.consul;

import static dev.meshwork.consul.FakeConsul.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import dev.meshwork.testing.RecordingListener;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Consul endpoints carry the SPIFFE ID that Connect's CA issues to their service, so that mTLS can
 * check each peer by identity: {@code spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<service>}, with
 * the trust domain from the CA roots.
 */
class ConsulEndpointIdentityTest {

  private static final String WEB = "/v1/health/service/web";
  private static final String ROOTS = "/v1/agent/connect/ca/roots";
  private static final String TRUST_DOMAIN = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0.consul";

  private final FakeConsul consul = new FakeConsul();
  private final RecordingListener events = new RecordingListener();
  private Mesh mesh;

  @AfterEach
  void close() {
    if (mesh != null) {
      mesh.close();
    }
    consul.close();
  }

  private void start(ConsulSource.Builder source) throws InterruptedException {
    mesh =
        Mesh.builder()
            .source(source.services("web").wait(Duration.ofSeconds(1)).build())
            .listener(events)
            .build();
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
  }

  private List<Endpoint> endpoints() {
    return mesh.snapshot().endpoints(ServiceName.of("web"));
  }

  private static String identity(String trustDomain) {
    return SpiffeId.consul(trustDomain, "default", "dc1", "web").toString();
  }

  @Test
  void endpointsCarryTheirServicesConsulSpiffeIdFromTheFirstReadySnapshot() throws Exception {
    consul.set(ROOTS, new FakeConnectCa(TRUST_DOMAIN).rootsJson());
    consul.set(WEB, fixture("authored/health-service-web.json"));

    start(ConsulSource.builder(consul.agent()));

    assertThat(endpoints())
        .hasSize(2)
        .extracting(Endpoint::identity)
        .containsOnly("spiffe://" + TRUST_DOMAIN + "/ns/default/dc/dc1/svc/web");
    assertThat(events.events("sourceFailed")).isEmpty();
  }

  @Test
  void aNewTrustDomainReachesTheEndpointsAndSoDoNewInstances() throws Exception {
    consul.set(ROOTS, new FakeConnectCa(TRUST_DOMAIN).rootsJson());
    consul.set(WEB, fixture("authored/health-service-web-passing.json"));
    start(ConsulSource.builder(consul.agent()));
    assertThat(endpoints()).extracting(Endpoint::identity).containsOnly(identity(TRUST_DOMAIN));

    String next = "99999999-8888-7777-6666-555555555555.consul";
    consul.set(ROOTS, new FakeConnectCa(next).rootsJson());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> endpoints().stream().allMatch(e -> identity(next).equals(e.identity())));

    consul.set(WEB, fixture("authored/health-service-web.json"));
    await().atMost(Duration.ofSeconds(10)).until(() -> endpoints().size() == 2);
    assertThat(endpoints()).extracting(Endpoint::identity).containsOnly(identity(next));
  }

  @Test
  void withoutTrustDomainFieldTheActiveRootsSpiffeIdGivesIt() throws Exception {
    // The api-double roots (an older Consul) have no TrustDomain; the root's URI SAN has it.
    consul.set(ROOTS, fixture("api-double/agent-connect-ca-roots.json"));
    consul.set(WEB, fixture("authored/health-service-web-passing.json"));

    start(ConsulSource.builder(consul.agent()));

    assertThat(endpoints())
        .extracting(Endpoint::identity)
        .containsOnly(identity("124df5a0-9820-76c3-9aa9-6f62164ba1c2.consul"));
  }

  @Test
  void onAClusterWithoutConnectEndpointsCarryNoIdentityAndNothingIsReportedFailing()
      throws Exception {
    consul.set(WEB, fixture("authored/health-service-web.json"));

    // FakeConsul answers the CA roots as an agent without Connect does: 500.
    start(ConsulSource.builder(consul.agent()));

    assertThat(endpoints()).hasSize(2).extracting(Endpoint::identity).containsOnlyNulls();
    assertThat(events.events("sourceFailed")).isEmpty();
    // Asked once, not polled.
    assertThat(consul.received(ROOTS)).isEqualTo(1);
  }

  @Test
  void endpointIdentitiesCanBeTurnedOff() throws Exception {
    consul.set(ROOTS, new FakeConnectCa(TRUST_DOMAIN).rootsJson());
    consul.set(WEB, fixture("authored/health-service-web.json"));

    start(ConsulSource.builder(consul.agent()).endpointIdentities(false));

    assertThat(endpoints()).hasSize(2).extracting(Endpoint::identity).containsOnlyNulls();
    assertThat(consul.received(ROOTS)).isZero();
  }
}
