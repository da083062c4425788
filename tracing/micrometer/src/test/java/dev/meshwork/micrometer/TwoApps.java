package dev.meshwork.micrometer;

import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.RetryPolicy;
import dev.meshwork.ServiceConfig;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Two applications in one test: {@code web} (namespace {@code shop}) calls {@code reviews} through
 * its mesh with OkHttp; {@code reviews} serves on a real Jetty server on loopback behind the mesh's
 * servlet filter. Each has its own mesh and MeshMetrics into a Simple and a Prometheus registry.
 * Both meshes share one fake ticker, which the server advances while it "works", so every latency
 * is exact.
 *
 * <p>Server paths: {@code /s/<status>/<ms>} answers {@code status} after {@code ms}; {@code
 * /flaky/<id>/<ms503>/<ms200>} answers 503 the first time for an id and 200 after.
 */
final class TwoApps implements AutoCloseable {

  final FakeTicker ticker = new FakeTicker();
  final SimpleMeterRegistry webSimple = new SimpleMeterRegistry();
  final PrometheusMeterRegistry webPrometheus =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final SimpleMeterRegistry reviewsSimple = new SimpleMeterRegistry();
  final PrometheusMeterRegistry reviewsPrometheus =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final MeshMetrics webMetrics;
  final MeshMetrics reviewsMetrics;
  final InMemorySource source = new InMemorySource();
  final Mesh web;
  final Mesh reviews;
  final OkHttpClient client;
  private final LoopbackServers servers = new LoopbackServers();
  private final ConcurrentHashMap<String, AtomicInteger> hits = new ConcurrentHashMap<>();

  private TwoApps(Mesh.Builder webMesh, UnaryOperator<MeshMetrics.Builder> webOptions)
      throws Exception {
    webMetrics =
        webOptions
            .apply(
                MeshMetrics.builder(composite(webSimple, webPrometheus))
                    .namespace("shop")
                    .deployment("web"))
            .build();
    reviewsMetrics =
        MeshMetrics.builder(composite(reviewsSimple, reviewsPrometheus))
            .namespace("shop")
            .deployment("reviews")
            .build();
    web = webMesh.source(source).ticker(ticker).listener(webMetrics).build();
    webMetrics.bindTo(web);
    reviews = Mesh.builder().ticker(ticker).listener(reviewsMetrics).build();
    reviewsMetrics.bindTo(reviews);
    client = MeshOkHttp.install(new OkHttpClient.Builder(), web).build();
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .retryPolicy(
                        RetryPolicy.builder()
                            .maxAttempts(3)
                            .backoff(Duration.ZERO, Duration.ZERO)
                            .build())
                    .build())
            .build());
    source.endpoints("reviews", servers.start(reviews, servlet()));
  }

  static TwoApps start() throws Exception {
    return start(Mesh.builder(), b -> b);
  }

  static TwoApps start(Mesh.Builder webMesh, UnaryOperator<MeshMetrics.Builder> webOptions)
      throws Exception {
    return new TwoApps(webMesh, webOptions);
  }

  private static CompositeMeterRegistry composite(
      SimpleMeterRegistry simple, PrometheusMeterRegistry prometheus) {
    return new CompositeMeterRegistry(Clock.SYSTEM, List.of(simple, prometheus));
  }

  private HttpServlet servlet() {
    return new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) {
        String[] parts = req.getRequestURI().split("/");
        int status;
        if (parts[1].equals("flaky")) {
          boolean first =
              hits.computeIfAbsent(parts[2], k -> new AtomicInteger()).getAndIncrement() == 0;
          status = first ? 503 : 200;
          ticker.advance(Duration.ofMillis(Long.parseLong(parts[first ? 3 : 4])));
        } else {
          status = Integer.parseInt(parts[2]);
          ticker.advance(Duration.ofMillis(Long.parseLong(parts[3])));
        }
        resp.setStatus(status);
      }
    };
  }

  int get(String path) throws IOException {
    try (Response r =
        client.newCall(new Request.Builder().url("http://reviews" + path).build()).execute()) {
      return r.code();
    }
  }

  @Override
  public void close() throws Exception {
    servers.close();
    web.close();
    reviews.close();
  }
}
