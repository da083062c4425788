package dev.meshwork.consul;

import static dev.meshwork.consul.FakeConsul.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.RecordingListener;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed JSON, unknown fields, huge bodies and wrong types from Consul: each is a typed {@link
 * ConfigException} naming the Consul path, the field, the value and what was expected, and the last
 * good configuration and endpoints stay in force.
 */
class MalformedInputTest {

  private static final String WEB = "/v1/health/service/web";
  private static final String SPLITTER = "/v1/config/service-splitter/web";

  private final FakeConsul consul = new FakeConsul();
  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();
  private Mesh mesh;

  @BeforeEach
  void start() {
    consul.set(WEB, fixture("authored/health-service-web.json"));
    consul.set(SPLITTER, fixture("authored/config-service-splitter-web.json"));
    consul.set(
        "/v1/config/service-resolver/web", fixture("authored/config-service-resolver-web.json"));
    ConsulAgent agent = ConsulAgent.builder(consul.url()).maxResponseBytes(64 * 1024).build();
    mesh =
        Mesh.builder()
            .source(ConsulSource.builder(agent).services("web").wait(Duration.ofSeconds(5)).build())
            .listener(events)
            .ticker(ticker)
            .scheduler(ticker.scheduler())
            .build();
    await().atMost(Duration.ofSeconds(10)).until(() -> goodSplit() && endpoints().size() == 2);
  }

  @AfterEach
  void close() {
    mesh.close();
    consul.close();
  }

  private boolean goodSplit() {
    var routes = mesh.snapshot().routes(ServiceName.of("web"));
    return !routes.isEmpty()
        && routes
            .get(0)
            .backends()
            .equals(
                List.of(
                    Backend.of("web", 9000).withSubset("v1"),
                    Backend.of("web", 1000).withSubset("v2")));
  }

  private List<Endpoint> endpoints() {
    return mesh.snapshot().endpoints(ServiceName.of("web"));
  }

  /** Serves {@code body} at {@code path} and waits for the watch to reject it. */
  private ConfigException rejectedAfter(String path, String body) {
    int before = events.rejected().size();
    consul.set(path, body);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              ticker.advance(Duration.ofSeconds(15)); // let rate-limited watches ask again
              return events.rejected().size() > before;
            });
    return events.rejected().get(before);
  }

  @Test
  void malformedJsonIsRejectedAndTheLastGoodSplitStays() {
    ConfigException e = rejectedAfter(SPLITTER, "{\"Kind\": \"service-splitter\", \"Splits\": [");

    assertThat(e.origin()).isEqualTo("consul " + SPLITTER);
    assertThat(e.expected()).startsWith("valid JSON");
    assertThat(goodSplit()).isTrue();
  }

  @Test
  void aWrongTypeNamesTheFieldAndTheValue() {
    ConfigException e =
        rejectedAfter(
            SPLITTER,
            "{\"Kind\":\"service-splitter\",\"Name\":\"web\",\"Splits\":["
                + "{\"Weight\":\"ninety\",\"ServiceSubset\":\"v1\"},{\"Weight\":10,\"ServiceSubset\":\"v2\"}]}");

    assertThat(e)
        .hasMessage(
            "consul /v1/config/service-splitter/web: Splits[0].Weight: \"ninety\" (expected a number)");
    assertThat(goodSplit()).isTrue();
  }

  @Test
  void weightsThatDoNotSumToOneHundredAreRejectedAsConsulWould() {
    ConfigException e =
        rejectedAfter(
            SPLITTER,
            "{\"Kind\":\"service-splitter\",\"Splits\":[{\"Weight\":80,\"ServiceSubset\":\"v1\"},"
                + "{\"Weight\":10,\"ServiceSubset\":\"v2\"}]}");

    assertThat(e.field()).isEqualTo("Splits");
    assertThat(e.expected()).contains("must be 100, not 90.00");
    assertThat(goodSplit()).isTrue();
  }

  @Test
  void anUnsupportedFilterIsRejectedNamingTheExpression() {
    ConfigException e =
        rejectedAfter(
            "/v1/config/service-resolver/web",
            "{\"Kind\":\"service-resolver\",\"Subsets\":{\"v1\":{\"Filter\":\"Service.Weights.Passing > 5\"},"
                + "\"v2\":{\"Filter\":\"Service.Meta.version == v2\"}}}");

    assertThat(e.field()).isEqualTo("Subsets.v1.Filter");
    assertThat(e.value()).isEqualTo("\"Service.Weights.Passing > 5\"");
    assertThat(goodSplit()).isTrue();
  }

  @Test
  void unknownFieldsAreIgnored() {
    int before = events.rejected().size();
    consul.set(
        SPLITTER,
        "{\"Kind\":\"service-splitter\",\"Name\":\"web\",\"FromTheFuture\":{\"x\":[1,2]},\"Splits\":["
            + "{\"Weight\":50,\"ServiceSubset\":\"v1\",\"AlsoNew\":true},{\"Weight\":50,\"ServiceSubset\":\"v2\"}]}");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              ticker.advance(Duration.ofSeconds(15));
              return mesh.snapshot().routes(ServiceName.of("web")).get(0).backends().get(0).weight()
                  == 5000;
            });
    assertThat(events.rejected()).hasSize(before);
  }

  @Test
  void aHugeConfigEntryIsNotReadAndIsRejected() {
    String huge =
        "{\"Kind\":\"service-splitter\",\"Padding\":\"" + "x".repeat(100_000) + "\",\"Splits\":[]}";

    ConfigException e = rejectedAfter(SPLITTER, huge);

    assertThat(e.value()).contains(" bytes");
    assertThat(e.expected()).contains("at most");
    assertThat(goodSplit()).isTrue();
  }

  @Test
  void aHugeHealthAnswerIsRejectedAndTheEndpointsStay() {
    String padded =
        fixture("authored/health-service-web.json")
            .replace("\"Notes\": \"\"", "\"Notes\": \"" + "y".repeat(40_000) + "\"");

    ConfigException e = rejectedAfter(WEB, padded);

    assertThat(e.origin()).isEqualTo("consul " + WEB);
    assertThat(e.value()).contains(" bytes");
    assertThat(endpoints()).hasSize(2);
  }

  @Test
  void aWrongTypeInHealthNamesTheFieldAndTheEndpointsStay() {
    ConfigException e =
        rejectedAfter(
            WEB,
            fixture("authored/health-service-web.json")
                .replace("\"Port\": 8080", "\"Port\": \"eighty\""));

    assertThat(e.origin()).isEqualTo("consul " + WEB);
    assertThat(e.field()).isEqualTo("[0].Service.Port");
    assertThat(e.value()).isEqualTo("\"eighty\"");
    assertThat(endpoints()).hasSize(2);
  }

  @Test
  void malformedHealthJsonIsRejectedAndTheEndpointsStay() {
    ConfigException e = rejectedAfter(WEB, "[{\"Node\": {");

    assertThat(e.origin()).isEqualTo("consul " + WEB);
    assertThat(e.expected()).startsWith("valid JSON");
    assertThat(endpoints()).hasSize(2);
  }
}
