package dev.meshwork.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshRequest;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.SeededRandom;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request path finds cached meters; the cache follows the snapshot and stays bounded. */
class MeterCacheTest {

  private final InMemorySource source = new InMemorySource();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MeshMetrics metrics =
      MeshMetrics.builder(registry).namespace("shop").deployment("web").build();
  private final Mesh mesh =
      Mesh.builder()
          .source(source)
          .ticker(new FakeTicker())
          .random(new SeededRandom(4))
          .listener(metrics)
          .build();

  @AfterEach
  void tearDown() {
    mesh.close();
  }

  private static final MeshRequest GET =
      new MeshRequest() {
        @Override
        public String method() {
          return "GET";
        }

        @Override
        public String path() {
          return "/";
        }

        @Override
        public @Nullable String header(String lowerCaseName) {
          return null;
        }
      };

  private void calls(int n) {
    for (int i = 0; i < n; i++) {
      MeshCall call = mesh.newCall("reviews", GET);
      Attempt attempt = call.startAttempt();
      call.completeHttp(attempt, 200);
    }
  }

  private void split(int v1, int v2) {
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(Route.to(Backend.of("reviews-v1", v1), Backend.of("reviews-v2", v2)))
                    .build())
            .build());
  }

  @Test
  void manyCallsReuseOneCacheEntryPerBackendOfTheRoute() {
    split(90, 10);
    source.endpoints("reviews-v1", Endpoint.of("10.0.1.1", 80));
    source.endpoints("reviews-v2", Endpoint.of("10.0.2.1", 80));

    calls(500);

    assertThat(metrics.golden().indexSize()).containsExactly(1, 2);
    assertThat(registry.get("route_request").counters()).hasSize(2);
    assertThat(registry.get("route_request").counters().stream().mapToDouble(c -> c.count()).sum())
        .isEqualTo(500);
  }

  @Test
  void aNewSnapshotReindexesItsRouteObjectsAndForgetsTheOldOnes() {
    split(90, 10);
    source.endpoints("reviews-v1", Endpoint.of("10.0.1.1", 80));
    source.endpoints("reviews-v2", Endpoint.of("10.0.2.1", 80));
    calls(50);

    for (int i = 0; i < 20; i++) {
      split(50 + i, 50 - i); // each a new route object
    }
    calls(50);

    assertThat(metrics.golden().indexSize()).containsExactly(1, 2);
    assertThat(registry.get("route_request").counters().stream().mapToDouble(c -> c.count()).sum())
        .isEqualTo(100);
  }
}
