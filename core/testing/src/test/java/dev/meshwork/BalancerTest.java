package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class BalancerTest {

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Set<String> rejecting = ConcurrentHashMap.newKeySet();

  private Mesh mesh(Balancer balancer, boolean failOpen) {
    Mesh mesh =
        Mesh.builder()
            .source(source)
            .listener(events)
            .ticker(ticker)
            .random(new SeededRandom(7))
            .balancer(balancer)
            .failOpen(failOpen)
            .gates((service, endpoint, m) -> new ToggleGate(endpoint.authority()))
            .build();
    source.endpoints(
        "reviews",
        Endpoint.of("10.0.0.1", 80),
        Endpoint.of("10.0.0.2", 80),
        Endpoint.of("10.0.0.3", 80));
    return mesh;
  }

  /** Sequential calls where each endpoint answers after its own latency. */
  private Map<String, Integer> run(Mesh mesh, int calls, Map<String, Duration> latency) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      Attempt a = call.startAttempt();
      String ep = a.endpoint().authority();
      counts.merge(ep, 1, Integer::sum);
      ticker.advance(latency.getOrDefault(ep, Duration.ofMillis(1)));
      call.completeHttp(a, 200);
    }
    return counts;
  }

  @Test
  void anEndpointFiftyMillisecondsSlowerGetsUnderTenPercent() {
    Mesh mesh = mesh(Balancer.p2cPeakEwma(), true);
    Map<String, Integer> counts = run(mesh, 2_000, Map.of("10.0.0.2:80", Duration.ofMillis(51)));
    assertThat(counts.getOrDefault("10.0.0.2:80", 0)).isLessThan(200);
  }

  @Test
  void roundRobinIgnoresLatencyForComparison() {
    Mesh mesh = mesh(Balancer.roundRobin(), true);
    Map<String, Integer> counts = run(mesh, 3_000, Map.of("10.0.0.2:80", Duration.ofMillis(51)));
    assertThat(counts).containsEntry("10.0.0.2:80", 1_000);
  }

  @Test
  void weightedFollowsEndpointWeights() {
    Mesh mesh = mesh(Balancer.weighted(), true);
    source.endpoints(
        "reviews", Endpoint.of("10.0.0.1", 80).withWeight(3), Endpoint.of("10.0.0.2", 80));
    Map<String, Integer> counts = run(mesh, 4_000, Map.of());
    assertThat(counts.get("10.0.0.1:80")).isBetween(2_900, 3_100);
  }

  @Test
  void anUnmeasuredEndpointIsPenalisedWhileItsFirstRequestIsInFlight() {
    Mesh mesh = mesh(Balancer.p2cPeakEwma(), true);
    Duration slow = Duration.ofMillis(60); // slower than the newcomer's 30 ms starting estimate
    run(mesh, 300, Map.of("10.0.0.1:80", slow, "10.0.0.2:80", slow, "10.0.0.3:80", slow));
    source.endpoints(
        "reviews",
        Endpoint.of("10.0.0.1", 80),
        Endpoint.of("10.0.0.2", 80),
        Endpoint.of("10.0.0.3", 80),
        Endpoint.of("10.0.0.9", 80));
    // Hold requests to the newcomer open: after the first, it must not get another one.
    int toNewcomer = 0;
    for (int i = 0; i < 200; i++) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      Attempt a = call.startAttempt();
      if (a.endpoint().authority().equals("10.0.0.9:80")) {
        toNewcomer++;
      } else {
        ticker.advance(slow);
        call.completeHttp(a, 200);
      }
    }
    assertThat(toNewcomer).isEqualTo(1);
  }

  @Test
  void latencyHistoryAndInFlightSurviveAnEndpointUpdate() {
    Mesh mesh = mesh(Balancer.p2cPeakEwma(), true);
    run(mesh, 600, Map.of("10.0.0.2:80", Duration.ofMillis(80)));
    source.endpoints(
        "reviews",
        Endpoint.of("10.0.0.1", 80),
        Endpoint.of("10.0.0.2", 80).withLabel("zone", "b"),
        Endpoint.of("10.0.0.3", 80));
    Map<String, Integer> after = run(mesh, 300, Map.of("10.0.0.2:80", Duration.ofMillis(80)));
    assertThat(after.getOrDefault("10.0.0.2:80", 0)).isLessThan(30);
    assertThat(mesh.snapshot().endpoints(ServiceName.of("reviews")).get(1).label("zone"))
        .isEqualTo("b");
  }

  @Test
  void endpointsWhoseGateRejectsAreSkipped() {
    Mesh mesh = mesh(Balancer.p2cPeakEwma(), true);
    rejecting.add("10.0.0.1:80");
    Map<String, Integer> counts = run(mesh, 500, Map.of());
    assertThat(counts).doesNotContainKey("10.0.0.1:80");
  }

  @Test
  void whenEveryGateRejectsTheCallFailsOpenToTheLeastBadEndpoint() {
    Mesh mesh = mesh(Balancer.p2cPeakEwma(), true);
    rejecting.addAll(Set.of("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"));
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt a = call.startAttempt();
    assertThat(a.endpoint().host()).startsWith("10.0.0.");
    assertThat(events.events("failedOpen")).containsExactly("failedOpen reviews.default");
  }

  @Test
  void withFailOpenOffEveryGateRejectingFailsFast() {
    Mesh mesh = mesh(Balancer.p2cPeakEwma(), false);
    rejecting.addAll(Set.of("10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"));
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    assertThatThrownBy(call::startAttempt)
        .isInstanceOf(NoHealthyEndpointsException.class)
        .hasMessage("no healthy endpoints for reviews.default (3 known, 3 ejected)");
    assertThat(call.isEnded()).isTrue();
  }

  /** A gate a test opens and closes by endpoint address. */
  private final class ToggleGate implements EndpointGate {
    private final String authority;

    ToggleGate(String authority) {
      this.authority = authority;
    }

    @Override
    public boolean isAdmitting() {
      return !rejecting.contains(authority);
    }

    @Override
    public boolean tryAcquire() {
      return isAdmitting();
    }

    @Override
    public void onComplete(ResponseClass result, long latencyNanos) {}

    @Override
    public void release() {}
  }
}
