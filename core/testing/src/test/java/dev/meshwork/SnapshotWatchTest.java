package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class SnapshotWatchTest {

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().source(source).listener(events).ticker(ticker).build();

  @Test
  void aWatcherSeesTheCurrentSnapshotAndEveryLaterOneUntilClosed() {
    source.endpoints("reviews", Endpoint.of("10.0.0.1", 80));
    List<Long> seen = new CopyOnWriteArrayList<>();

    Mesh.Subscription subscription = mesh.onSnapshot(s -> seen.add(s.generation()));
    long first = mesh.snapshot().generation();
    source.endpoints("reviews", Endpoint.of("10.0.0.2", 80));
    subscription.close();
    source.endpoints("reviews", Endpoint.of("10.0.0.3", 80));

    assertThat(seen).containsExactly(first, first + 1);
    subscription.close();
  }

  @Test
  void aWatcherThatThrowsIsReportedAndOthersStillSeeSnapshots() {
    List<Long> seen = new CopyOnWriteArrayList<>();
    mesh.onSnapshot(
        s -> {
          throw new IllegalStateException("boom");
        });
    mesh.onSnapshot(s -> seen.add(s.generation()));

    source.endpoints("reviews", Endpoint.of("10.0.0.1", 80));

    assertThat(seen).hasSize(2);
    assertThat(events.events("sourceFailed")).isNotEmpty().allMatch(e -> e.contains("boom"));
  }

  @Test
  void routableEndpointsCoverEveryBackendOfEveryRouteOnce() {
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
                    .route(Route.to(Backend.of("reviews-v1", 9), Backend.of("reviews-v2", 1)))
                    .build())
            .build());
    source.endpoints("reviews-v1", Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80));
    source.endpoints("reviews-v2", Endpoint.of("10.0.0.3", 80));

    assertThat(mesh.snapshot().routableEndpoints("reviews"))
        .extracting(Endpoint::authority)
        .containsExactly("10.0.0.3:80", "10.0.0.1:80", "10.0.0.2:80");
    assertThat(mesh.snapshot().routableEndpoints("unknown")).isEmpty();
  }
}
