package dev.meshwork;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * The balancer's pick, alone and as part of a whole call (route, split, pick, classify, EWMA), with
 * 10, 1 000 and 10 000 endpoints. In package {@code dev.meshwork} to reach the balancer, which is
 * not public API.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar PickBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class PickBenchmark {

  @Param({"10", "1000", "10000"})
  public int endpoints;

  @Param({"p2cPeakEwma", "roundRobin", "weighted"})
  public String balancer;

  private Mesh mesh;
  private EndpointSet set;
  private Balancer chosen;
  private final MeshRequest request =
      new MeshRequest() {
        @Override
        public String method() {
          return "GET";
        }

        @Override
        public String path() {
          return "/books/1";
        }

        @Override
        public String header(String lowerCaseName) {
          return null;
        }
      };

  @Setup(Level.Trial)
  public void setUp() {
    chosen =
        Map.of(
                "p2cPeakEwma", Balancer.p2cPeakEwma(),
                "roundRobin", Balancer.roundRobin(),
                "weighted", Balancer.weighted())
            .get(balancer);
    List<Endpoint> list = new ArrayList<>();
    for (int i = 0; i < endpoints; i++) {
      list.add(Endpoint.of("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 8080));
    }
    mesh =
        Mesh.builder()
            .balancer(chosen)
            .source(StaticSource.builder().endpoints(ServiceName.of("big"), list).build())
            .build();
    set = mesh.snapshot().routing(ServiceName.of("big")).routes[0].backends[0].endpoints;
    // Give every endpoint a latency estimate, as in steady state.
    for (int i = 0; i < endpoints * 3; i++) {
      MeshCall call = mesh.newCall("big", request);
      call.completeHttp(call.startAttempt(), 200);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    mesh.close();
  }

  @Benchmark
  public EndpointState pick() {
    return chosen.pick(set, null, mesh.ticker.nanoTime(), mesh.random);
  }

  @Benchmark
  public RetryDecision call() {
    MeshCall call = mesh.newCall("big", request);
    return call.completeHttp(call.startAttempt(), 200);
  }
}
