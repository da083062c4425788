package dev.meshwork.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshRequest;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.SeededRandom;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SMI TrafficMetrics view: its JSON shape (as in smi-spec's {@code traffic-metrics.md}), the
 * counts and percentiles of each resource and edge, and its sliding window, on a fake clock.
 */
class TrafficMetricsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-11-28T10:15:30Z");

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final MeshMetrics metrics =
      MeshMetrics.builder(new SimpleMeterRegistry())
          .namespace("shop")
          .deployment("web")
          .clock(Clock.fixed(NOW, ZoneOffset.UTC))
          .build();
  private Mesh mesh;
  private TrafficMetrics traffic;

  @BeforeEach
  void setUp() {
    mesh =
        Mesh.builder()
            .source(source)
            .ticker(ticker)
            .random(new SeededRandom(2))
            .listener(metrics)
            .build();
    metrics.bindTo(mesh);
    traffic = metrics.trafficMetrics();
    source.endpoints(ServiceName.of("reviews-v1", "shop"), List.of(Endpoint.of("10.0.1.1", 80)));
    source.endpoints(ServiceName.of("reviews-v2", "shop"), List.of(Endpoint.of("10.0.2.1", 80)));
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder(ServiceName.of("reviews", "shop"))
                    .route(
                        Route.builder()
                            .name("reviews-rollout")
                            .backends(
                                Backend.of("reviews-v1.shop", 90),
                                Backend.of("reviews-v2.shop", 10))
                            .build())
                    .build())
            .build());
  }

  @AfterEach
  void tearDown() {
    mesh.close();
  }

  /** A GET to reviews.shop; v1 answers 200 after 10 ms, v2 answers 500 after 40 ms. */
  private String call() {
    MeshCall call = mesh.newCall("reviews.shop", get());
    Attempt attempt = call.startAttempt();
    boolean v1 = call.backend().service().name().equals("reviews-v1");
    ticker.advance(Duration.ofMillis(v1 ? 10 : 40));
    call.completeHttp(attempt, v1 ? 200 : 500);
    return call.backend().service().name();
  }

  private static MeshRequest get() {
    return new MeshRequest() {
      @Override
      public String method() {
        return "GET";
      }

      @Override
      public String path() {
        return "/books";
      }

      @Override
      public @Nullable String header(String lowerCaseName) {
        return null;
      }
    };
  }

  /** The metrics of one item, by name. */
  private static Map<String, String> metricsOf(JsonNode item) {
    Map<String, String> m = new LinkedHashMap<>();
    for (JsonNode metric : item.get("metrics")) {
      m.put(metric.get("name").asText(), metric.get("value").asText());
    }
    return m;
  }

  @Test
  void aTrafficSplitHasOneItemPerBackendWithItsWeightCountsAndPercentiles() throws Exception {
    Map<String, Integer> calls = new LinkedHashMap<>(Map.of("reviews-v1", 0, "reviews-v2", 0));
    for (int i = 0; i < 60; i++) {
      calls.merge(call(), 1, Integer::sum);
    }

    JsonNode list = JSON.readTree(traffic.trafficSplitJson(ServiceName.of("reviews", "shop")));

    assertThat(list.get("apiVersion").asText()).isEqualTo("metrics.smi-spec.io/v1alpha1");
    assertThat(list.get("kind").asText()).isEqualTo("TrafficMetricsList");
    assertThat(list.get("items")).hasSize(2);
    JsonNode v1 = list.get("items").get(0);
    assertThat(v1.get("kind").asText()).isEqualTo("TrafficMetrics");
    assertThat(v1.get("resource").toString())
        .isEqualTo(
            "{\"kind\":\"TrafficSplit\",\"name\":\"reviews-rollout\",\"namespace\":\"shop\"}");
    assertThat(v1.get("edge").toString())
        .isEqualTo("{\"direction\":\"from\",\"side\":\"client\",\"resource\":{}}");
    assertThat(v1.get("backend").toString())
        .isEqualTo("{\"apex\":\"reviews\",\"name\":\"reviews-v1\",\"weight\":90}");
    assertThat(v1.get("timestamp").asText()).isEqualTo("2026-11-28T10:15:30Z");
    assertThat(v1.get("window").asText()).isEqualTo("30s");
    assertThat(v1.get("metrics").get(0).get("unit").asText()).isEqualTo("seconds");
    // Every v1 call took 10 ms: within Linkerd's (5, 10] bucket, interpolated like Prometheus.
    assertThat(metricsOf(v1))
        .containsExactly(
            Map.entry("p99_response_latency", "9950u"),
            Map.entry("p90_response_latency", "9500u"),
            Map.entry("p50_response_latency", "7500u"),
            Map.entry("success_count", calls.get("reviews-v1").toString()),
            Map.entry("failure_count", "0"));
    JsonNode v2 = list.get("items").get(1);
    assertThat(v2.get("backend").get("weight").asInt()).isEqualTo(10);
    assertThat(metricsOf(v2))
        .containsExactly(
            Map.entry("p99_response_latency", "39900u"),
            Map.entry("p90_response_latency", "39m"),
            Map.entry("p50_response_latency", "35m"),
            Map.entry("success_count", "0"),
            Map.entry("failure_count", calls.get("reviews-v2").toString()));
    assertThat(calls.get("reviews-v2")).isPositive();
  }

  @Test
  void aServiceCountsTheCallsAddressedToItOrReachingItAsABackend() throws Exception {
    int v2 = 0;
    for (int i = 0; i < 20; i++) {
      v2 += call().equals("reviews-v2") ? 1 : 0;
    }

    Map<String, String> apex =
        metricsOf(JSON.readTree(traffic.serviceJson(ServiceName.of("reviews", "shop"))));
    JsonNode backend = JSON.readTree(traffic.serviceJson(ServiceName.of("reviews-v2", "shop")));

    assertThat(apex).containsEntry("success_count", "" + (20 - v2));
    assertThat(apex).containsEntry("failure_count", "" + v2);
    assertThat(backend.get("resource").toString())
        .isEqualTo("{\"kind\":\"Service\",\"name\":\"reviews-v2\",\"namespace\":\"shop\"}");
    assertThat(backend.get("edge").toString())
        .isEqualTo(
            "{\"direction\":\"from\",\"side\":\"client\",\"resource\":"
                + "{\"kind\":\"Deployment\",\"name\":\"web\",\"namespace\":\"shop\"}}");
    assertThat(metricsOf(backend))
        .containsEntry("success_count", "0")
        .containsEntry("failure_count", "" + v2);
  }

  @Test
  void theDeploymentsEdgesAreWhatItReceivedAndEachServiceItCalled() throws Exception {
    call();
    InboundCall in = InboundCall.start(mesh, InboundCall.Protocol.HTTP, "GET", "/home", null, null);
    ticker.advance(Duration.ofMillis(3));
    in.endHttp(200);

    JsonNode edges = JSON.readTree(traffic.edgesJson());
    JsonNode self = JSON.readTree(traffic.deploymentJson());

    assertThat(edges.get("resource").toString())
        .isEqualTo("{\"kind\":\"Deployment\",\"name\":\"web\",\"namespace\":\"shop\"}");
    List<String> shapes = new ArrayList<>();
    for (JsonNode item : edges.get("items")) {
      shapes.add(item.get("edge").toString());
    }
    assertThat(shapes)
        .containsExactly(
            "{\"direction\":\"from\",\"side\":\"server\",\"resource\":{}}",
            "{\"direction\":\"to\",\"side\":\"client\",\"resource\":"
                + "{\"kind\":\"Service\",\"name\":\"reviews\",\"namespace\":\"shop\"}}");
    assertThat(metricsOf(self))
        .containsEntry("success_count", "1")
        .containsEntry("failure_count", "0")
        .containsEntry("p50_response_latency", "2500u");
  }

  @Test
  void theWindowForgetsTrafficOlderThanItsLengthAndOmitsLatencyWithoutData() throws Exception {
    for (int i = 0; i < 5; i++) {
      call();
    }
    ticker.advance(Duration.ofSeconds(31));

    Map<String, String> reviews =
        metricsOf(JSON.readTree(traffic.serviceJson(ServiceName.of("reviews", "shop"))));

    assertThat(reviews)
        .containsExactly(Map.entry("success_count", "0"), Map.entry("failure_count", "0"));
  }

  @Test
  void latencyQuantitiesAreKubernetesQuantitiesOfSeconds() {
    assertThat(TrafficMetrics.quantitySeconds(10)).isEqualTo("10m");
    assertThat(TrafficMetrics.quantitySeconds(2.5)).isEqualTo("2500u");
    assertThat(TrafficMetrics.quantitySeconds(0)).isEqualTo("0");
    assertThat(TrafficMetrics.quantitySeconds(50000)).isEqualTo("50000m");
  }

  @Test
  void aServiceWithoutASplitHasNoTrafficSplitItems() throws Exception {
    JsonNode list = JSON.readTree(traffic.trafficSplitJson(ServiceName.of("reviews-v1", "shop")));

    assertThat(list.get("items")).isEmpty();
  }
}
