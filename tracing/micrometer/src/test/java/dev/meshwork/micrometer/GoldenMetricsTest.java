package dev.meshwork.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.ServiceConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Golden metrics after a scripted mix of successes, 500s, 503s and retries between two applications
 * over real loopback HTTP: every counter and histogram, outbound per attempt, outbound per call and
 * inbound, holds exactly what the script implies.
 */
class GoldenMetricsTest {

  private TwoApps apps;

  @AfterEach
  void tearDown() throws Exception {
    if (apps != null) {
      apps.close();
    }
  }

  /**
   * The script: three 200s taking 7 ms; one 500 taking 120 ms (not retryable); two calls whose
   * first attempt gets a 503 after 30 ms and whose retry gets a 200 after 2 ms.
   */
  private void runScript() throws IOException {
    for (int i = 0; i < 3; i++) {
      assertThat(apps.get("/s/200/7")).isEqualTo(200);
    }
    assertThat(apps.get("/s/500/120")).isEqualTo(500);
    assertThat(apps.get("/flaky/a/30/2")).isEqualTo(200);
    assertThat(apps.get("/flaky/b/30/2")).isEqualTo(200);
  }

  private static final String[] OUTBOUND = {
    "direction", "outbound",
    "namespace", "shop",
    "deployment", "web",
    "authority", "reviews.default",
    "dst_namespace", "default",
    "dst_service", "reviews",
    "backend", "reviews.default",
    "route", "default"
  };

  private static final String[] INBOUND = {
    "direction", "inbound",
    "namespace", "shop",
    "deployment", "reviews",
    "authority", "",
    "dst_namespace", "",
    "dst_service", "",
    "backend", "",
    "route", ""
  };

  private static String[] with(String[] base, String... more) {
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  private static String[] outcome(String[] base, String classification, String status) {
    return with(base, "classification", classification, "status_code", status, "grpc_status", "");
  }

  /** The one counter with exactly these tags (no more, no fewer). */
  private static double counter(MeterRegistry r, String name, String... tags) {
    Collection<Counter> found = r.find(name).tags(tags).counters();
    assertThat(found).as("%s %s", name, List.of(tags)).hasSize(1);
    Counter c = found.iterator().next();
    assertThat(c.getId().getTags()).hasSize(tags.length / 2);
    return c.count();
  }

  private static DistributionSummary summary(MeterRegistry r, String name, String... tags) {
    Collection<DistributionSummary> found = r.find(name).tags(tags).summaries();
    assertThat(found).as("%s %s", name, List.of(tags)).hasSize(1);
    return found.iterator().next();
  }

  /** The cumulative count at every Linkerd bucket bound, for the given latencies. */
  private static Map<Double, Double> buckets(double... latenciesMs) {
    Map<Double, Double> expected = new LinkedHashMap<>();
    for (double bound : MetricNames.LATENCY_BUCKETS_MS) {
      double n = 0;
      for (double l : latenciesMs) {
        n += l <= bound ? 1 : 0;
      }
      expected.put(bound, n);
    }
    return expected;
  }

  private static Map<Double, Double> actualBuckets(DistributionSummary s) {
    Map<Double, Double> actual = new LinkedHashMap<>();
    for (CountAtBucket b : s.takeSnapshot().histogramCounts()) {
      actual.put(b.bucket(), b.count());
    }
    return actual;
  }

  private static void assertLatencies(DistributionSummary s, double... latenciesMs) {
    double sum = 0;
    for (double l : latenciesMs) {
      sum += l;
    }
    assertThat(s.count()).isEqualTo(latenciesMs.length);
    assertThat(s.totalAmount()).isEqualTo(sum);
    assertThat(actualBuckets(s)).containsExactlyEntriesOf(buckets(latenciesMs));
  }

  @Test
  void everyOutboundAttemptIsCountedWithItsClassificationStatusAndLatency() throws Exception {
    apps = TwoApps.start();

    runScript();

    SimpleMeterRegistry r = apps.webSimple;
    assertThat(counter(r, "request", OUTBOUND)).isEqualTo(8);
    assertThat(counter(r, "response", with(outcome(OUTBOUND, "success", "200"), "error", "")))
        .isEqualTo(5);
    assertThat(counter(r, "response", with(outcome(OUTBOUND, "failure", "503"), "error", "")))
        .isEqualTo(2);
    assertThat(counter(r, "response", with(outcome(OUTBOUND, "failure", "500"), "error", "")))
        .isEqualTo(1);
    assertThat(r.find("response").counters()).hasSize(3);
    assertLatencies(
        summary(r, "response_latency_ms", outcome(OUTBOUND, "success", "200")), 7, 7, 7, 2, 2);
    assertLatencies(summary(r, "response_latency_ms", outcome(OUTBOUND, "failure", "503")), 30, 30);
    assertLatencies(summary(r, "response_latency_ms", outcome(OUTBOUND, "failure", "500")), 120);
    assertThat(r.find("response_latency_ms").summaries()).hasSize(3);
  }

  @Test
  void everyLogicalCallIsCountedOnceWithItsFinalResultAndWholeDuration() throws Exception {
    apps = TwoApps.start();

    runScript();

    SimpleMeterRegistry r = apps.webSimple;
    assertThat(counter(r, "route_request", OUTBOUND)).isEqualTo(6);
    assertThat(counter(r, "route_response", with(outcome(OUTBOUND, "success", "200"), "error", "")))
        .isEqualTo(5);
    assertThat(counter(r, "route_response", with(outcome(OUTBOUND, "failure", "500"), "error", "")))
        .isEqualTo(1);
    assertThat(r.find("route_response").counters()).hasSize(2);
    // A retried call lasts both attempts: 30 ms + 2 ms (the retry policy has no backoff).
    assertLatencies(
        summary(r, "route_response_latency_ms", outcome(OUTBOUND, "success", "200")),
        7,
        7,
        7,
        32,
        32);
    assertLatencies(
        summary(r, "route_response_latency_ms", outcome(OUTBOUND, "failure", "500")), 120);
  }

  @Test
  void everyRequestTheServerReceivedIsCountedInbound() throws Exception {
    apps = TwoApps.start();

    runScript();

    SimpleMeterRegistry r = apps.reviewsSimple;
    assertThat(counter(r, "request", INBOUND)).isEqualTo(8);
    assertThat(counter(r, "response", with(outcome(INBOUND, "success", "200"), "error", "")))
        .isEqualTo(5);
    assertThat(counter(r, "response", with(outcome(INBOUND, "failure", "503"), "error", "")))
        .isEqualTo(2);
    assertThat(counter(r, "response", with(outcome(INBOUND, "failure", "500"), "error", "")))
        .isEqualTo(1);
    assertLatencies(
        summary(r, "response_latency_ms", outcome(INBOUND, "success", "200")), 7, 7, 7, 2, 2);
    assertLatencies(summary(r, "response_latency_ms", outcome(INBOUND, "failure", "503")), 30, 30);
    assertLatencies(summary(r, "response_latency_ms", outcome(INBOUND, "failure", "500")), 120);
    // The server made no calls of its own.
    assertThat(r.find("request").tag("direction", "outbound").counters()).isEmpty();
  }

  @Test
  void retriesAndTheRetryBudgetBalanceAreMetered() throws Exception {
    apps = TwoApps.start();

    runScript();

    SimpleMeterRegistry r = apps.webSimple;
    assertThat(counter(r, "meshwork.retries", "authority", "reviews.default")).isEqualTo(2);
    assertThat(r.find("meshwork.retries.denied").counters()).isEmpty();
    // Reserve of 10/s × 10 s = 100 retries, plus 6 calls × 0.2, minus the 2 retries taken.
    assertThat(r.get("meshwork.retry.budget.balance").tag("authority", "reviews.default").gauge())
        .extracting(g -> g.value())
        .isEqualTo(99.0);
  }

  @Test
  void aRetryTheBudgetRefusesIsCountedWithItsReason() throws Exception {
    // A budget with neither a reserve nor a ratio refuses every retry.
    apps = TwoApps.start(Mesh.builder().retryBudget(Duration.ofSeconds(10), 0, 0), b -> b);

    assertThat(apps.get("/flaky/c/5/5")).isEqualTo(503);

    SimpleMeterRegistry r = apps.webSimple;
    assertThat(
            counter(
                r,
                "meshwork.retries.denied",
                "authority",
                "reviews.default",
                "reason",
                "budget_exhausted"))
        .isEqualTo(1);
    assertThat(r.get("meshwork.retry.budget.balance").gauge().value()).isZero();
    assertThat(counter(r, "route_response", with(outcome(OUTBOUND, "failure", "503"), "error", "")))
        .isEqualTo(1);
  }

  @Test
  void aCallTheMeshFailsItselfCountsAsAFailedResponseWithTheMeshsReason() throws Exception {
    apps = TwoApps.start();
    apps.source.config(
        MeshConfig.builder().service(ServiceConfig.builder("ratings").build()).build());

    assertThatThrownBy(() -> apps.client.newCall(request("http://ratings/")).execute())
        .isInstanceOf(IOException.class);

    SimpleMeterRegistry r = apps.webSimple;
    assertThat(
            counter(
                r,
                "meshwork.call.failures",
                "authority",
                "ratings.default",
                "reason",
                "no_healthy_endpoints"))
        .isEqualTo(1);
    assertThat(
            r.get("route_response")
                .tags("authority", "ratings.default", "error", "NoHealthyEndpointsException")
                .tags("classification", "failure")
                .counter()
                .count())
        .isEqualTo(1);
    // No attempt was made, so there is no attempt-level response.
    assertThat(r.find("request").tag("authority", "ratings.default").counters()).isEmpty();
  }

  @Test
  void metricsNeedTheNamespaceAndDeploymentFlaggerSelectsOn() {
    assertThatThrownBy(
            () -> MeshMetrics.builder(new SimpleMeterRegistry()).namespace("shop").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("deployment: \"\"");
  }

  private static okhttp3.Request request(String url) {
    return new okhttp3.Request.Builder().url(url).build();
  }
}
