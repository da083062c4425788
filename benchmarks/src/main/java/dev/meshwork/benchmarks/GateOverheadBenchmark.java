package dev.meshwork.benchmarks;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.StaticSource;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.resilience.ConsecutiveFailures;
import dev.meshwork.resilience.EndpointGates;
import dev.meshwork.resilience.OutlierDetection;
import dev.meshwork.resilience.SlowStart;
import dev.meshwork.resilience.SuccessRate;
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
 * What per-endpoint gates cost on a call through the mesh: the same OkHttp call as {@link
 * OkHttpOverheadBenchmark}'s MESH arm (route, 90/10 split, P2C over 50 endpoints per backend, stub
 * transport), without gates and with each kind. Every pick asks two endpoints' gates whether they
 * admit, the attempt takes a permit and its completion feeds the gate.
 *
 * <ul>
 *   <li>{@code NONE}: no gates (the default).
 *   <li>{@code CONSECUTIVE}: Linkerd's consecutive-failures breaker (lock-free, native).
 *   <li>{@code SUCCESS_RATE}: the resilience4j success-rate breaker (permission protocol).
 *   <li>{@code ALL}: consecutive failures, outlier detection and slow start composed.
 * </ul>
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar GateOverhead -prof gc
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
public class GateOverheadBenchmark {

  @Param({"NONE", "CONSECUTIVE", "SUCCESS_RATE", "ALL"})
  public String gates;

  private Mesh mesh;
  private OkHttpClient okhttp;
  private final Request request = new Request.Builder().url("http://reviews/books/1").build();

  @Setup(Level.Trial)
  public void setUp() {
    Mesh.Builder b =
        Mesh.builder()
            .source(
                StaticSource.builder()
                    .endpoints(ServiceName.of("reviews-v1"), endpoints(1, 50))
                    .endpoints(ServiceName.of("reviews-v2"), endpoints(2, 50))
                    .service(
                        ServiceConfig.builder("reviews")
                            .route(
                                Route.to(
                                    Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
                            .build())
                    .build());
    switch (gates) {
      case "CONSECUTIVE":
        b.gates(EndpointGates.defaults());
        break;
      case "SUCCESS_RATE":
        b.gates(EndpointGates.builder().successRate(SuccessRate.defaults()).build());
        break;
      case "ALL":
        b.gates(
            EndpointGates.builder()
                .consecutiveFailures(ConsecutiveFailures.defaults())
                .outlierDetection(OutlierDetection.defaults())
                .slowStart(SlowStart.over(Duration.ofSeconds(1)))
                .build());
        break;
      default:
        break;
    }
    mesh = b.build();
    okhttp =
        MeshOkHttp.install(new OkHttpClient.Builder(), mesh)
            .addInterceptor(new StubTransport())
            .build();
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
    mesh.close();
  }

  @Benchmark
  public int call() throws IOException {
    try (Response r = okhttp.newCall(request).execute()) {
      return r.code();
    }
  }
}
