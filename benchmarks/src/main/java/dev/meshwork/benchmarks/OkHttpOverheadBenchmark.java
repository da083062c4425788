package dev.meshwork.benchmarks;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.StaticSource;
import dev.meshwork.okhttp.MeshOkHttp;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One OkHttp call through the raw client against the same call through the mesh, with a stub
 * transport (an in-process last interceptor), so the difference is the mesh's own cost: route
 * match, 90/10 split, P2C peak-EWMA pick over 50 endpoints per backend, retry-budget deposit,
 * connection steering, classification; with {@code MESH_DEADLINE} also the deadline header and
 * socket timeouts bounded by the deadline; with {@code MESH_OBSERVED} also golden metrics, a span
 * per call and per attempt, and the {@code traceparent} header.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar OkHttpOverhead -prof gc            # 1 thread
 * java -jar benchmarks/target/benchmarks.jar OkHttpOverhead -t 2 -bm thrpt      # scaling
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class OkHttpOverheadBenchmark {

  /**
   * RAW: OkHttp alone. MESH: through the mesh. MESH_DEADLINE: plus a 5 s route timeout.
   * MESH_OBSERVED: MESH plus golden metrics (Prometheus registry) and tracing (OpenTelemetry SDK,
   * every trace sampled, batch processor); MESH_OBSERVED_UNSAMPLED: the same with no trace sampled;
   * MESH_METRICS and MESH_TRACED: one of the two alone (tracing sampled). RAW_TRACED: raw OkHttp
   * with {@link MinimalOkHttpTracing} (one sampled span per request, same SDK set-up), the
   * yardstick for what tracing itself costs.
   */
  @Param({
    "RAW",
    "RAW_TRACED",
    "MESH",
    "MESH_DEADLINE",
    "MESH_OBSERVED",
    "MESH_OBSERVED_UNSAMPLED",
    "MESH_METRICS",
    "MESH_TRACED"
  })
  public String client;

  private Mesh mesh;
  private Observability observability;
  private OkHttpClient okhttp;
  private Request request;

  @Setup(Level.Trial)
  public void setUp() {
    OkHttpClient.Builder builder = new OkHttpClient.Builder();
    if (client.startsWith("MESH")) {
      Duration timeout = client.equals("MESH_DEADLINE") ? Duration.ofSeconds(5) : null;
      Mesh.Builder meshBuilder = Mesh.builder();
      observability = Observability.forArm(client);
      if (observability != null) {
        meshBuilder = observability.install(meshBuilder);
      }
      mesh =
          meshBuilder
              .source(
                  StaticSource.builder()
                      .endpoints(ServiceName.of("reviews-v1"), endpoints(1, 50))
                      .endpoints(ServiceName.of("reviews-v2"), endpoints(2, 50))
                      .service(
                          ServiceConfig.builder("reviews")
                              .route(
                                  Route.to(
                                      Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
                              .timeout(timeout)
                              .build())
                      .build())
              .build();
      if (observability != null) {
        observability.bindTo(mesh);
      }
      MeshOkHttp.install(builder, mesh);
      request = new Request.Builder().url("http://reviews/books/1").build();
    } else {
      request = new Request.Builder().url("http://10.1.0.1:8080/books/1").build();
      observability = Observability.forArm(client);
      if (observability != null) {
        builder.addInterceptor(observability.minimalTracing());
      }
    }
    okhttp = builder.addInterceptor(new StubTransport()).build();
  }

  private static List<Endpoint> endpoints(int subnet, int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      list.add(Endpoint.of("10." + subnet + ".0." + i, 8080));
    }
    return list;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (mesh != null) {
      mesh.close();
    }
    if (observability != null) {
      observability.close();
    }
  }

  @Benchmark
  public int call() throws IOException {
    try (Response r = okhttp.newCall(request).execute()) {
      return r.code();
    }
  }
}
