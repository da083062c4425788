package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightedSplitTest {

  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh =
      Mesh.builder()
          .source(source)
          .listener(events)
          .ticker(new FakeTicker())
          .random(new SeededRandom(42))
          .build();

  private Map<String, Integer> route(int calls) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < calls; i++) {
      MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
      counts.merge(call.backend().name(), 1, Integer::sum);
      call.cancel();
    }
    return counts;
  }

  private void split(Backend... backends) {
    source.config(
        MeshConfig.builder()
            .service(ServiceConfig.builder("reviews").route(Route.to(backends)).build())
            .build());
  }

  @Test
  void tenThousandPicksOverANinetyTenSplitLandWithinTwoPercent() {
    split(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10));
    source.endpoints("reviews-v1", Endpoint.of("10.0.0.1", 80));
    source.endpoints("reviews-v2", Endpoint.of("10.0.0.2", 80));
    Map<String, Integer> counts = route(10_000);
    assertThat(counts.get("reviews-v1.default") / 10_000.0).isCloseTo(0.90, within(0.02));
    assertThat(counts.get("reviews-v2.default") / 10_000.0).isCloseTo(0.10, within(0.02));
  }

  @Test
  void weightsAreRelativeNotPercentages() {
    split(Backend.of("a", 1000), Backend.of("b", 500), Backend.of("c", 0));
    for (String s : new String[] {"a", "b", "c"}) {
      source.endpoints(s, Endpoint.of("10.0.0." + s.charAt(0) % 10, 80));
    }
    Map<String, Integer> counts = route(9_000);
    assertThat(counts.get("a.default") / 9_000.0).isCloseTo(2 / 3.0, within(0.02));
    assertThat(counts.get("b.default") / 9_000.0).isCloseTo(1 / 3.0, within(0.02));
    assertThat(counts).doesNotContainKey("c.default");
  }

  @Test
  void theShareOfABackendWithoutEndpointsGoesToTheOthers() {
    source.endpoints("reviews-v1", Endpoint.of("10.0.0.1", 80));
    source.endpoints("reviews-v2", Endpoint.of("10.0.0.2", 80));
    split(Backend.of("reviews-v1", 50), Backend.of("reviews-v2", 30), Backend.of("reviews-v3", 20));
    Map<String, Integer> counts = route(8_000);
    assertThat(counts).doesNotContainKey("reviews-v3.default");
    assertThat(counts.get("reviews-v1.default") / 8_000.0).isCloseTo(50 / 80.0, within(0.02));
    assertThat(events.events("backendUnavailable"))
        .containsExactly("backendUnavailable reviews.default reviews-v3.default");

    source.endpoints("reviews-v3", Endpoint.of("10.0.0.3", 80));
    assertThat(route(8_000).get("reviews-v3.default") / 8_000.0).isCloseTo(0.20, within(0.02));
  }

  @Test
  void headerMatchedRouteTakesOnlyMatchingRequests() {
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(
                        Route.builder()
                            .match(
                                RequestMatch.builder()
                                    .header("x-canary", StringMatch.exact("1"))
                                    .build())
                            .backends(Backend.of("reviews-v2", 1))
                            .build())
                    .route(Route.to(Backend.of("reviews-v1", 1)))
                    .build())
            .build());
    source.endpoints("reviews-v1", Endpoint.of("10.0.0.1", 80));
    source.endpoints("reviews-v2", Endpoint.of("10.0.0.2", 80));
    MeshCall canary = mesh.newCall("reviews", new TestRequest("GET", "/", Map.of("x-canary", "1")));
    MeshCall plain = mesh.newCall("reviews", TestRequest.get("/"));
    assertThat(canary.backend().name()).isEqualTo("reviews-v2.default");
    assertThat(plain.backend().name()).isEqualTo("reviews-v1.default");
  }
}
