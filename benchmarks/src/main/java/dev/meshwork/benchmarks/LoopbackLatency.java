package dev.meshwork.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceConfig;
import dev.meshwork.StaticSource;
import dev.meshwork.okhttp.MeshOkHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * End-to-end latency on loopback, raw OkHttp against OkHttp through the mesh, in one JVM run with
 * the arms interleaved in blocks so that drift and noise hit both alike. One request in flight; the
 * server is a JDK HTTP server on 127.0.0.1 in the same process. Prints per-arm percentiles, the
 * median of per-block p50 and p99 ratios, and client-thread allocation per request.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.meshwork.benchmarks.LoopbackLatency [blocks] [perBlock]
 * </pre>
 */
public final class LoopbackLatency {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private LoopbackLatency() {}

  public static void main(String[] args) throws Exception {
    int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int perBlock = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(Executors.newFixedThreadPool(2));
    byte[] body = "ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    int port = server.getAddress().getPort();

    Mesh mesh =
        Mesh.builder()
            .source(
                StaticSource.builder()
                    .endpoints("bench", Endpoint.of("127.0.0.1", port))
                    .service(ServiceConfig.builder("bench").timeout(Duration.ofSeconds(5)).build())
                    .build())
            .build();
    Arm raw = new Arm("RAW", new OkHttpClient(), "http://127.0.0.1:" + port + "/books/1");
    Arm meshed =
        new Arm(
            "MESH",
            MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build(),
            "http://bench/books/1");

    for (int i = 0; i < 3; i++) {
      raw.run(10_000, false);
      meshed.run(10_000, false);
    }
    List<Double> p50Ratios = new ArrayList<>();
    List<Double> p99Ratios = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      // Alternate which arm goes first, so neither always follows the other.
      Arm first = b % 2 == 0 ? raw : meshed;
      Arm second = first == raw ? meshed : raw;
      first.run(perBlock, true);
      second.run(perBlock, true);
      p50Ratios.add(meshed.lastP50 / raw.lastP50);
      p99Ratios.add(meshed.lastP99 / raw.lastP99);
    }
    System.out.printf(
        Locale.ROOT,
        "loopback, 1 in flight, %d blocks x %d requests per arm, interleaved%n",
        blocks,
        perBlock);
    raw.print();
    meshed.print();
    System.out.printf(
        Locale.ROOT,
        "median of per-block ratios MESH/RAW: p50 %.3f, p99 %.3f%n",
        median(p50Ratios),
        median(p99Ratios));
    mesh.close();
    server.stop(0);
    System.exit(0);
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static final class Arm {
    final String name;
    final OkHttpClient client;
    final Request request;
    final List<long[]> samples = new ArrayList<>();
    long requests;
    long allocated;
    double lastP50;
    double lastP99;

    Arm(String name, OkHttpClient client, String url) {
      this.name = name;
      this.client = client;
      this.request = new Request.Builder().url(url).build();
    }

    void run(int n, boolean record) throws IOException {
      long[] latencies = new long[n];
      long tid = Thread.currentThread().getId();
      long allocBefore = THREADS.getThreadAllocatedBytes(tid);
      for (int i = 0; i < n; i++) {
        long start = System.nanoTime();
        try (Response r = client.newCall(request).execute()) {
          r.body().source().skip(2);
        }
        latencies[i] = System.nanoTime() - start;
      }
      if (record) {
        allocated += THREADS.getThreadAllocatedBytes(tid) - allocBefore;
        requests += n;
        Arrays.sort(latencies);
        samples.add(latencies);
        lastP50 = latencies[n / 2];
        lastP99 = latencies[(int) (n * 0.99)];
      }
    }

    void print() {
      long[] all = samples.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      System.out.printf(
          Locale.ROOT,
          "%-5s p50 %6.1f us  p90 %6.1f us  p99 %7.1f us  p99.9 %7.1f us  alloc %5d B/req%n",
          name,
          all[all.length / 2] / 1e3,
          all[(int) (all.length * 0.9)] / 1e3,
          all[(int) (all.length * 0.99)] / 1e3,
          all[(int) (all.length * 0.999)] / 1e3,
          allocated / requests);
    }
  }
}
