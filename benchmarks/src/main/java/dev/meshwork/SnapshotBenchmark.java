package dev.meshwork;

import java.util.ArrayList;
import java.util.List;
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
 * Building and publishing a snapshot when a source publishes 10 000 endpoints for one service,
 * among 100 configured services: either every endpoint is new ({@code FULL}) or one of them changed
 * ({@code ONE_CHANGED}). The publish runs inline on the calling thread (the control plane's serial
 * executor), so the time measured is the whole control-plane cost.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar SnapshotBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SnapshotBenchmark {

  @Param({"10000"})
  public int endpoints;

  @Param({"FULL", "ONE_CHANGED"})
  public String change;

  private Mesh mesh;
  private SourceContext context;
  private List<Endpoint> a;
  private List<Endpoint> b;
  private boolean flip;

  @Setup(Level.Trial)
  public void setUp() {
    MeshConfig.Builder config = MeshConfig.builder();
    for (int s = 0; s < 100; s++) {
      config.service(
          ServiceConfig.builder("svc" + s)
              .route(Route.to(Backend.of("big", 90), Backend.of("svc" + s + "-canary", 10)))
              .build());
    }
    MeshConfig built = config.build();
    mesh =
        Mesh.builder()
            .source(
                new MeshSource() {
                  @Override
                  public String name() {
                    return "benchmark";
                  }

                  @Override
                  public void start(SourceContext ctx) {
                    context = ctx;
                    ctx.publishConfig(built);
                  }
                })
            .build();
    a = list(0);
    b = change.equals("FULL") ? list(1) : new ArrayList<>(a);
    if (!change.equals("FULL")) {
      b.set(endpoints / 2, Endpoint.of("10.255.255.255", 9090));
    }
    context.publishEndpoints(ServiceName.of("big"), a);
  }

  private List<Endpoint> list(int port) {
    List<Endpoint> list = new ArrayList<>(endpoints);
    for (int i = 0; i < endpoints; i++) {
      list.add(
          Endpoint.of("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 8080 + port));
    }
    return list;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    mesh.close();
  }

  @Benchmark
  public long publish() {
    flip = !flip;
    context.publishEndpoints(ServiceName.of("big"), flip ? b : a);
    return mesh.snapshot().generation();
  }
}
