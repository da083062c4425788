package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlPlaneTest {

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();

  private static MeshConfig split(String origin, String subset) {
    return MeshConfig.builder()
        .service(
            ServiceConfig.builder("web")
                .subset(Subset.withLabels("v1", Map.of("version", "v1")))
                .subset(Subset.withLabels("v2", Map.of("version", "v2")))
                .route(
                    Route.builder()
                        .origin(origin)
                        .backends(
                            Backend.of("web", 90).withSubset("v1"),
                            Backend.of("web", 10).withSubset(subset))
                        .build())
                .build())
        .build();
  }

  @Test
  void invalidConfigIsRejectedAndTheLastGoodConfigStays() {
    InMemorySource source = new InMemorySource();
    Mesh mesh = Mesh.builder().source(source).listener(events).ticker(ticker).build();
    source.config(split("splitter.json", "v2"));
    long generation = mesh.snapshot().generation();

    source.config(split("splitter.json", "v3"));

    assertThat(events.rejected()).hasSize(1);
    assertThat(events.rejected().get(0))
        .hasMessage(
            "splitter.json: web.default routes[0].backends[1].subset: \"v3\" (expected a subset"
                + " defined for web.default: [v1, v2])");
    assertThat(mesh.snapshot().generation()).isEqualTo(generation);
    assertThat(mesh.snapshot().routes(ServiceName.of("web")).get(0).backends().get(1).subset())
        .isEqualTo("v2");
  }

  @Test
  void subsetsSelectEndpointsByLabel() {
    InMemorySource source = new InMemorySource();
    Mesh mesh = Mesh.builder().source(source).ticker(ticker).build();
    source.config(split("programmatic", "v2"));
    source.endpoints(
        "web",
        Endpoint.of("10.0.0.1", 80).withLabel("version", "v1"),
        Endpoint.of("10.0.0.2", 80).withLabel("version", "v2"));
    for (int i = 0; i < 50; i++) {
      MeshCall call = mesh.newCall("web", TestRequest.get("/"));
      String expected = call.backend().subset().equals("v1") ? "10.0.0.1" : "10.0.0.2";
      assertThat(call.startAttempt().endpoint().host()).isEqualTo(expected);
      call.cancel();
    }
  }

  @Test
  void theSourceRegisteredFirstWinsForTheSameService() {
    InMemorySource first = new InMemorySource("first");
    InMemorySource second = new InMemorySource("second");
    Mesh mesh = Mesh.builder().source(first).source(second).ticker(ticker).build();
    second.endpoints("web", Endpoint.of("10.0.0.2", 80));
    assertThat(mesh.snapshot().endpoints(ServiceName.of("web")))
        .containsExactly(Endpoint.of("10.0.0.2", 80));
    first.endpoints("web", Endpoint.of("10.0.0.1", 80));
    assertThat(mesh.snapshot().endpoints(ServiceName.of("web")))
        .containsExactly(Endpoint.of("10.0.0.1", 80));
    first.remove("web");
    assertThat(mesh.snapshot().endpoints(ServiceName.of("web")))
        .containsExactly(Endpoint.of("10.0.0.2", 80));
  }

  @Test
  void readinessWaitsForEverySource() throws Exception {
    InMemorySource a = new InMemorySource("a");
    InMemorySource b = new InMemorySource("b");
    Mesh mesh = Mesh.builder().source(a).source(b).ticker(ticker).build();
    a.ready();
    assertThat(mesh.awaitReady(Duration.ofMillis(1))).isFalse();
    b.ready();
    assertThat(mesh.awaitReady(Duration.ofMillis(1))).isTrue();
    assertThat(Mesh.builder().build().whenReady()).isDone();
  }

  @Test
  void sourcesLearnEveryServiceTheMeshRoutesIncludingBackends() {
    InMemorySource source = new InMemorySource();
    Mesh.builder().source(source).ticker(ticker).build();
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .route(Route.to(Backend.of("reviews-v1", 1), Backend.of("reviews-v2.prod", 1)))
                    .build())
            .build());
    assertThat(source.servicesSeen())
        .containsExactlyInAnyOrder(
            ServiceName.of("reviews"),
            ServiceName.of("reviews-v1"),
            ServiceName.of("reviews-v2", "prod"));
  }

  @Test
  void endpointUpdatesReuseTheCompiledRoutes() {
    InMemorySource source = new InMemorySource();
    Mesh mesh = Mesh.builder().source(source).ticker(ticker).build();
    source.config(split("programmatic", "v2"));
    Route before = mesh.snapshot().routes(ServiceName.of("web")).get(0);
    source.endpoints("web", Endpoint.of("10.0.0.1", 80).withLabel("version", "v1"));
    assertThat(mesh.snapshot().routes(ServiceName.of("web")).get(0)).isSameAs(before);
  }

  @Test
  void servicesAreReachableByEveryKubernetesHostForm() {
    InMemorySource source = new InMemorySource();
    Mesh mesh = Mesh.builder().source(source).ticker(ticker).defaultNamespace("shop").build();
    source.endpoints(ServiceName.of("cart", "shop"), List.of(Endpoint.of("10.0.0.1", 80)));
    source.endpoints(ServiceName.of("users", "auth"), List.of(Endpoint.of("10.0.0.2", 80)));
    for (String host :
        new String[] {"cart", "cart.shop", "cart.shop.svc", "CART.shop.svc.cluster.local"}) {
      assertThat(mesh.knows(host)).as(host).isTrue();
    }
    assertThat(mesh.knows("users")).isFalse();
    assertThat(mesh.knows("users.auth")).isTrue();
  }

  @Test
  void aSubsetWithoutEndpointsFailsOverToTheFirstTargetThatHasSome() {
    InMemorySource source = new InMemorySource();
    Mesh mesh = Mesh.builder().source(source).ticker(ticker).build();
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("web")
                    .subset(Subset.withLabels("v1", Map.of("version", "v1")))
                    .failover("v1", List.of(Backend.of("web-dr", 1), Backend.of("web-backup", 1)))
                    .route(Route.to(Backend.of("web", 1).withSubset("v1")))
                    .build())
            .build());
    source.endpoints("web-backup", Endpoint.of("10.9.0.1", 80));
    MeshCall call = mesh.newCall("web", TestRequest.get("/"));
    assertThat(call.startAttempt().endpoint().host()).isEqualTo("10.9.0.1");
    call.cancel();

    source.endpoints("web-dr", Endpoint.of("10.8.0.1", 80));
    call = mesh.newCall("web", TestRequest.get("/"));
    assertThat(call.startAttempt().endpoint().host()).isEqualTo("10.8.0.1");
    call.cancel();

    source.endpoints("web", Endpoint.of("10.0.0.1", 80).withLabel("version", "v1"));
    call = mesh.newCall("web", TestRequest.get("/"));
    assertThat(call.startAttempt().endpoint().host()).isEqualTo("10.0.0.1");
    assertThat(source.servicesSeen())
        .contains(ServiceName.of("web-dr"), ServiceName.of("web-backup"));
  }

  @Test
  void aFailoverNamingAnUndefinedSubsetIsRejected() {
    InMemorySource source = new InMemorySource();
    Mesh.builder().source(source).listener(events).ticker(ticker).build();
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("web")
                    .origin("resolver.json")
                    .failover("*", List.of(Backend.of("web-dr", 1).withSubset("v9")))
                    .build())
            .build());
    assertThat(events.rejected().get(0))
        .hasMessage(
            "resolver.json: web.default failover[*][0].subset: \"v9\" (expected a subset defined"
                + " for web-dr.default: [])");
  }

  @Test
  void tenThousandEndpointsArePublishedInOneSnapshot() {
    InMemorySource source = new InMemorySource();
    Mesh mesh = Mesh.builder().source(source).ticker(ticker).build();
    List<Endpoint> many = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      many.add(Endpoint.of("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 8080));
    }
    source.endpoints(ServiceName.of("big"), many);
    assertThat(mesh.snapshot().endpoints(ServiceName.of("big"))).hasSize(10_000);
    MeshCall call = mesh.newCall("big", TestRequest.get("/"));
    assertThat(call.startAttempt().endpoint().port()).isEqualTo(8080);
  }
}
