package dev.meshwork.examples;

import dev.meshwork.Backend;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.StaticSource;
import dev.meshwork.okhttp.MeshOkHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The main demo: a canary release through an in-process mesh. Starts real HTTP backends on loopback
 * — {@code reviews-v1} with a fast and a slower instance, {@code reviews-v2} (the canary, which
 * fails 3 % of requests) — sends a few thousand requests to {@code http://reviews/} through a
 * mesh-enabled OkHttpClient with a 90/10 split, and prints what happened per backend and per
 * endpoint.
 *
 * <p>What to look for: the split holds at 90/10; within v1 the latency-aware balancer sends most
 * traffic to the fast instance; the canary's 503s are retried on the budget, so calls still
 * succeed.
 *
 * <pre>
 * ./mvnw -q -pl examples -am compile exec:java
 * </pre>
 */
public final class CanaryDemo {

  private static final int REQUESTS = 4_000;
  private static final int CONCURRENCY = 8;

  private CanaryDemo() {}

  public static void main(String[] args) throws Exception {
    try (DemoBackend v1Fast = new DemoBackend("reviews-v1 fast", 1, 0);
        DemoBackend v1Slow = new DemoBackend("reviews-v1 slow", 15, 0);
        DemoBackend v2 = new DemoBackend("reviews-v2 canary", 1, 0.03)) {
      DemoStats stats = new DemoStats();
      Mesh mesh =
          Mesh.builder()
              .source(
                  StaticSource.builder()
                      .endpoints("reviews-v1", v1Fast.endpoint(), v1Slow.endpoint())
                      .endpoints("reviews-v2", v2.endpoint())
                      .service(
                          ServiceConfig.builder("reviews")
                              .route(
                                  Route.to(
                                      Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
                              .timeout(Duration.ofSeconds(2))
                              .build())
                      .build())
              .listener(stats)
              .build();
      mesh.awaitReady(Duration.ofSeconds(5));
      OkHttpClient client =
          MeshOkHttp.install(new OkHttpClient.Builder(), mesh)
              .dispatcher(new okhttp3.Dispatcher())
              .build();

      System.out.println(
          "endpoints: v1 fast "
              + v1Fast.endpoint()
              + ", v1 slow "
              + v1Slow.endpoint()
              + ", v2 canary "
              + v2.endpoint());
      run(client, 300); // warm up the JIT and the latency estimates
      stats.reset();
      long start = System.nanoTime();
      int failed = run(client, REQUESTS);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      System.out.println();
      System.out.print(
          stats.table(
              "Meshwork demo: "
                  + REQUESTS
                  + " GET http://reviews/ over a 90/10 split (reviews-v1 / reviews-v2), "
                  + CONCURRENCY
                  + " client threads, "
                  + millis
                  + " ms"));
      System.out.println("failed calls seen by the application: " + failed);
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
      mesh.close();
      if (failed > 0) {
        System.exit(1);
      }
    }
  }

  /** Sends {@code n} requests from {@link #CONCURRENCY} threads; returns how many failed. */
  private static int run(OkHttpClient client, int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY);
    AtomicInteger failed = new AtomicInteger();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < CONCURRENCY; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < n / CONCURRENCY; i++) {
                    Request request = new Request.Builder().url("http://reviews/books/1").build();
                    try (Response r = client.newCall(request).execute()) {
                      r.body().string();
                      if (!r.isSuccessful()) {
                        failed.incrementAndGet();
                      }
                    } catch (IOException e) {
                      failed.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    return failed.get();
  }
}
