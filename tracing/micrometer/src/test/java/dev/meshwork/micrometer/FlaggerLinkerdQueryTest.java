package dev.meshwork.micrometer;

import static dev.meshwork.micrometer.PrometheusText.eq;
import static dev.meshwork.micrometer.PrometheusText.ne;
import static dev.meshwork.micrometer.PrometheusText.re;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meshwork.micrometer.PrometheusText.Sample;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Flagger's built-in Linkerd analysis ({@code pkg/metrics/observers/linkerd.go}) evaluated on the
 * Prometheus text the canary's application exports, with the PromQL written out: the queries read
 * server-side series, which the mesh's inbound filter produces under Linkerd's exact names.
 *
 * <pre>
 * request-success-rate:
 *   sum(rate(response_total{namespace="shop", deployment=~"reviews",
 *                           classification!="failure", direction="inbound"}[1m]))
 *   / sum(rate(response_total{namespace="shop", deployment=~"reviews", direction="inbound"}[1m]))
 *   * 100
 * request-duration:
 *   histogram_quantile(0.99, sum(rate(response_latency_ms_bucket{namespace="shop",
 *       deployment=~"reviews", direction="inbound"}[1m])) by (le))
 * </pre>
 *
 * {@code rate} over the interval is evaluated as the increase between a scrape before and a scrape
 * after the scripted traffic (the interval cancels out of both queries).
 */
class FlaggerLinkerdQueryTest {

  private TwoApps apps;

  @AfterEach
  void tearDown() throws Exception {
    if (apps != null) {
      apps.close();
    }
  }

  private static final Predicate<Sample> CANARY =
      eq("namespace", "shop").and(re("deployment", "reviews")).and(eq("direction", "inbound"));

  @Test
  void flaggersLinkerdSuccessRateAndDurationQueriesReadTheExportedText() throws Exception {
    apps = TwoApps.start();
    apps.get("/s/200/1"); // traffic before the analysis interval starts
    PrometheusText before = PrometheusText.parse(apps.reviewsPrometheus.scrape());

    // In the interval: 200s after 7, 7, 7 ms; a 500 after 120 ms; two 503s after 30 ms, each
    // retried by the client into a 200 after 2 ms. The server saw 8 requests, 3 of them failed.
    for (int i = 0; i < 3; i++) {
      apps.get("/s/200/7");
    }
    apps.get("/s/500/120");
    apps.get("/flaky/a/30/2");
    apps.get("/flaky/b/30/2");
    PrometheusText after = PrometheusText.parse(apps.reviewsPrometheus.scrape());

    double successRate =
        PrometheusText.sumIncrease(
                before, after, "response_total", CANARY.and(ne("classification", "failure")))
            / PrometheusText.sumIncrease(before, after, "response_total", CANARY)
            * 100;
    assertThat(successRate).isEqualTo(62.5);

    // Sorted: 2, 2, 7, 7, 7, 30, 30, 120. Rank 0.99 × 8 = 7.92 falls in (100, 200], which holds
    // one sample above the 7 at or below 100: 100 + 100 × 0.92.
    double p99 =
        PrometheusText.histogramQuantile(0.99, before, after, "response_latency_ms_bucket", CANARY);
    assertThat(p99).isCloseTo(192.0, within(1e-9));
  }

  @Test
  void theExportedSeriesCarryLinkerdsNamesLabelsAndBuckets() throws Exception {
    apps = TwoApps.start();
    apps.get("/s/200/3");

    PrometheusText text = PrometheusText.parse(apps.reviewsPrometheus.scrape());

    assertThat(text.named("request_total")).hasSize(1);
    assertThat(text.named("response_total"))
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.labels())
                    .containsEntry("classification", "success")
                    .containsEntry("direction", "inbound")
                    .containsEntry("namespace", "shop")
                    .containsEntry("deployment", "reviews")
                    .containsEntry("status_code", "200"));
    List<Sample> buckets = text.named("response_latency_ms_bucket");
    assertThat(
            buckets.stream()
                .map(s -> Double.parseDouble(s.labels().get("le").replace("+Inf", "Infinity"))))
        .containsExactly(
            1.0,
            2.0,
            3.0,
            4.0,
            5.0,
            10.0,
            20.0,
            30.0,
            40.0,
            50.0,
            100.0,
            200.0,
            300.0,
            400.0,
            500.0,
            1000.0,
            2000.0,
            3000.0,
            4000.0,
            5000.0,
            10000.0,
            20000.0,
            30000.0,
            40000.0,
            50000.0,
            Double.POSITIVE_INFINITY);
    assertThat(buckets.get(1).value()).isZero(); // le=2
    assertThat(buckets.get(2).value()).isEqualTo(1); // le=3
    assertThat(text.named("response_latency_ms_count"))
        .singleElement()
        .extracting(Sample::value)
        .isEqualTo(1.0);
    assertThat(text.named("response_latency_ms_sum"))
        .singleElement()
        .extracting(Sample::value)
        .isEqualTo(3.0);
    // The client side exports the same families outbound, plus the per-call route_* families.
    Set<String> web =
        PrometheusText.parse(apps.webPrometheus.scrape()).samples.stream()
            .map(Sample::name)
            .collect(Collectors.toSet());
    assertThat(web)
        .contains(
            "request_total",
            "response_total",
            "response_latency_ms_bucket",
            "route_request_total",
            "route_response_total",
            "route_response_latency_ms_bucket",
            "meshwork_retries_total",
            "meshwork_retry_budget_balance");
  }
}
