package dev.meshwork.examples;

import dev.meshwork.Backend;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.StaticSource;
import dev.meshwork.grpc.MeshGrpc;
import dev.meshwork.okhttp.MeshOkHttp;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
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
 * The main demo: a canary release through an in-process mesh, for an HTTP and a gRPC service side
 * by side. Starts real backends on loopback — {@code reviews-v1} (HTTP) and {@code ratings-v1}
 * (gRPC) each with a fast and a slower instance, {@code reviews-v2} and {@code ratings-v2} (the
 * canaries, which fail 3 % of requests with 503 / {@code UNAVAILABLE}) — sends a few thousand
 * requests to {@code http://reviews/} through a mesh-enabled OkHttpClient and as many RPCs to
 * {@code mesh:///ratings} through a mesh-enabled gRPC channel, both with a 90/10 split, and prints
 * what happened per backend and per endpoint.
 *
 * <p>What to look for: the split holds at 90/10 for both protocols; within v1 the latency-aware
 * balancer sends most traffic to the fast instance (per RPC for gRPC, over one HTTP/2 connection
 * per instance); the canaries' failures are retried on each service's budget, so calls still
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
        DemoBackend v2 = new DemoBackend("reviews-v2 canary", 1, 0.03);
        DemoGrpcBackend r1Fast = new DemoGrpcBackend("ratings-v1 fast", 1, 0);
        DemoGrpcBackend r1Slow = new DemoGrpcBackend("ratings-v1 slow", 15, 0);
        DemoGrpcBackend r2 = new DemoGrpcBackend("ratings-v2 canary", 1, 0.03)) {
      DemoStats stats = new DemoStats("reviews");
      DemoStats grpcStats = new DemoStats("ratings");
      Mesh mesh =
          Mesh.builder()
              .source(
                  StaticSource.builder()
                      .endpoints("reviews-v1", v1Fast.endpoint(), v1Slow.endpoint())
                      .endpoints("reviews-v2", v2.endpoint())
                      .endpoints("ratings-v1", r1Fast.endpoint(), r1Slow.endpoint())
                      .endpoints("ratings-v2", r2.endpoint())
                      .service(
                          ServiceConfig.builder("ratings")
                              .route(
                                  Route.to(
                                      Backend.of("ratings-v1", 90), Backend.of("ratings-v2", 10)))
                              .timeout(Duration.ofSeconds(2))
                              .build())
                      .service(
                          ServiceConfig.builder("reviews")
                              .route(
                                  Route.to(
                                      Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
                              .timeout(Duration.ofSeconds(2))
                              .build())
                      .build())
              .listener(stats)
              .listener(grpcStats)
              .build();
      mesh.awaitReady(Duration.ofSeconds(5));
      OkHttpClient client =
          MeshOkHttp.install(new OkHttpClient.Builder(), mesh)
              .dispatcher(new okhttp3.Dispatcher())
              .build();
      ManagedChannel channel =
          MeshGrpc.install(
                  Grpc.newChannelBuilder("mesh:///ratings", InsecureChannelCredentials.create()),
                  mesh)
              .build();

      System.out.println(
          "endpoints: v1 fast "
              + v1Fast.endpoint()
              + ", v1 slow "
              + v1Slow.endpoint()
              + ", v2 canary "
              + v2.endpoint());
      System.out.println(
          "gRPC endpoints: ratings-v1 fast "
              + r1Fast.endpoint()
              + ", ratings-v1 slow "
              + r1Slow.endpoint()
              + ", ratings-v2 canary "
              + r2.endpoint());
      run(client, channel, 300); // warm up the JIT and the latency estimates
      stats.reset();
      grpcStats.reset();
      long start = System.nanoTime();
      int failed = run(client, channel, REQUESTS);
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
      System.out.println();
      System.out.print(
          grpcStats.table(
              "Meshwork demo: "
                  + REQUESTS
                  + " unary RPCs to mesh:///ratings over a 90/10 split (ratings-v1 / ratings-v2),"
                  + " the same client threads"));
      System.out.println("failed calls seen by the application: " + failed);
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      client.dispatcher().executorService().shutdown();
      client.connectionPool().evictAll();
      mesh.close();
      if (failed > 0) {
        System.exit(1);
      }
    }
  }

  /**
   * Sends {@code n} HTTP requests and {@code n} RPCs from {@link #CONCURRENCY} threads, each thread
   * alternating between the two; returns how many failed.
   */
  private static int run(OkHttpClient client, Channel channel, int n) throws Exception {
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
                    try {
                      ClientCalls.blockingUnaryCall(
                          channel, DemoGrpcBackend.GET, CallOptions.DEFAULT, "book-1");
                    } catch (StatusRuntimeException e) {
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
