package dev.meshwork.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Endpoint;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.micrometer.PrometheusText.Sample;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Per-endpoint meters: off by default, tagged {@code target_addr} when on, gone with the endpoint.
 */
class PerEndpointMetricsTest {

  private TwoApps apps;

  @AfterEach
  void tearDown() throws Exception {
    if (apps != null) {
      apps.close();
    }
  }

  @Test
  void byDefaultAttemptsAreNotTaggedWithTheirEndpoint() throws Exception {
    apps = TwoApps.start();

    apps.get("/s/200/1");

    assertThat(apps.webSimple.get("request").counter().getId().getTag("target_addr")).isNull();
  }

  @Test
  void perEndpointMetersFollowTheEndpointsInTheSnapshot() throws Exception {
    apps = TwoApps.start(Mesh.builder(), b -> b.perEndpoint(true));
    Endpoint server = apps.web.snapshot().endpoints(dev.meshwork.ServiceName.of("reviews")).get(0);

    apps.get("/s/200/1");
    apps.get("/s/503/1");

    assertThat(
            apps.webSimple.get("request").tag("target_addr", server.authority()).counter().count())
        .isEqualTo(4); // two calls, each 503 retried twice: 1 + 3 attempts
    assertThat(apps.webSimple.find("response").tag("target_addr", server.authority()).counters())
        .hasSize(2);

    apps.source.endpoints("reviews", Endpoint.of("10.9.9.9", 80));

    assertThat(apps.webSimple.find("request").tag("target_addr", server.authority()).counters())
        .isEmpty();
    assertThat(apps.webSimple.find("response_latency_ms").summaries()).isEmpty();
    // Per-call meters are not per endpoint and stay.
    assertThat(apps.webSimple.get("route_request").counter().count()).isEqualTo(2);
  }

  @Test
  void inboundSeriesCarryAnEmptyTargetAddrSoPrometheusSeesOneSetOfLabels() throws Exception {
    apps = TwoApps.start(Mesh.builder(), b -> b.perEndpoint(true));
    apps.get("/s/200/1");

    InboundCall.start(apps.web, InboundCall.Protocol.HTTP, "GET", "/", null, null).endHttp(200);

    List<Sample> requests =
        PrometheusText.parse(apps.webPrometheus.scrape()).named("request_total");
    assertThat(requests).hasSize(2);
    assertThat(requests)
        .allSatisfy(s -> assertThat(s.labels()).containsKey("target_addr"))
        .anySatisfy(s -> assertThat(s.labels()).containsEntry("direction", "inbound"));
  }
}
