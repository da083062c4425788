package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.ConcurrencyLimitExceededException;
import dev.meshwork.ConcurrencyLimitFactory;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshRequest;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.SeededRandom;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The adaptive limit's control loop, simulated deterministically on the fake ticker: calls go
 * through a real {@link Mesh} (so the limit is exercised through core's hook) to a model server
 * with 16 workers and a FIFO queue, each request taking 10 ms ± 10 %, so latency grows with
 * concurrency once the workers are busy. Calls arrive open-loop (Poisson) at twice what the server
 * can serve; rejected calls are shed.
 */
class AdaptiveLimitSimulationTest {

  private static final int WORKERS = 16;
  private static final long SERVICE_NANOS = 10_000_000;
  private static final double CAPACITY_PER_SECOND = WORKERS * 1e9 / SERVICE_NANOS;
  private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(20);

  /** What one simulated run measured after its warm-up. */
  record Result(double throughputPerSecond, long p99Nanos, long rejected, int finalLimit) {}

  @Test
  void theAdaptiveLimitKeepsLatencyNearUnloadedWhileKeepingNearlyTheBestThroughput() {
    Result unloaded = run(null, 0.1);
    double bestFixed = 0;
    int bestLimit = 0;
    for (int limit : new int[] {8, 16, 24, 32, 64}) {
      Result r = run(ConcurrencyLimits.fixed(limit), 2.0);
      if (r.throughputPerSecond() > bestFixed) {
        bestFixed = r.throughputPerSecond();
        bestLimit = limit;
      }
    }
    Result adaptive = run(ConcurrencyLimits.adaptive().build(), 2.0);

    System.out.printf(
        "adaptive limit simulation: unloaded p99 %.1f ms; best fixed limit %d: %.0f/s;"
            + " adaptive: %.0f/s (%.0f %% of best), p99 %.1f ms (%.2f x unloaded),"
            + " final limit %d, %d rejected%n",
        unloaded.p99Nanos() / 1e6,
        bestLimit,
        bestFixed,
        adaptive.throughputPerSecond(),
        100 * adaptive.throughputPerSecond() / bestFixed,
        adaptive.p99Nanos() / 1e6,
        (double) adaptive.p99Nanos() / unloaded.p99Nanos(),
        adaptive.finalLimit(),
        adaptive.rejected());
    assertThat(adaptive.p99Nanos()).isLessThanOrEqualTo(2 * unloaded.p99Nanos());
    assertThat(adaptive.throughputPerSecond()).isGreaterThanOrEqualTo(0.8 * bestFixed);
    assertThat(adaptive.rejected()).isPositive();
  }

  @Test
  void withoutALimitTheOverloadedServersQueueAndLatencyGrowWithoutBound() {
    Result unlimited = run(null, 2.0);

    assertThat(unlimited.p99Nanos()).isGreaterThan(100 * SERVICE_NANOS);
  }

  /** Runs the model at {@code load} times the server's capacity with {@code limits}. */
  private static Result run(@Nullable ConcurrencyLimitFactory limits, double load) {
    FakeTicker ticker = new FakeTicker();
    InMemorySource source = new InMemorySource();
    Mesh.Builder b =
        Mesh.builder()
            .source(source)
            .ticker(ticker)
            .scheduler(ticker.scheduler())
            .random(new SeededRandom(5));
    if (limits != null) {
      b.concurrencyLimits(limits);
    }
    try (Mesh mesh = b.build()) {
      source.endpoints("model", Endpoint.of("10.0.0.1", 80));
      Simulation sim = new Simulation(mesh, ticker, load * CAPACITY_PER_SECOND);
      sim.arrive();
      ticker.advanceNanos(WARM_UP_NANOS + RUN_NANOS);
      long[] latencies = Arrays.copyOf(sim.latencies, sim.completed);
      Arrays.sort(latencies);
      long p99 = latencies[(int) Math.floor(0.99 * latencies.length)];
      var limit = mesh.concurrencyLimit(dev.meshwork.ServiceName.of("model"));
      return new Result(
          sim.completed / (RUN_NANOS / 1e9), p99, sim.rejected, limit == null ? -1 : limit.limit());
    }
  }

  /** Open-loop arrivals into the mesh, and a FIFO server with a fixed number of workers. */
  private static final class Simulation {
    private final Mesh mesh;
    private final FakeTicker ticker;
    private final double ratePerNano;
    private final Random random = new Random(42);
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private final long measureFrom;
    private int busy;
    long[] latencies = new long[1 << 16];
    int completed;
    long rejected;

    Simulation(Mesh mesh, FakeTicker ticker, double ratePerSecond) {
      this.mesh = mesh;
      this.ticker = ticker;
      this.ratePerNano = ratePerSecond / 1e9;
      this.measureFrom = ticker.nanoTime() + WARM_UP_NANOS;
    }

    void arrive() {
      long gap = (long) (-Math.log(1 - random.nextDouble()) / ratePerNano);
      ticker.scheduler().schedule(this::arrive, Math.max(gap, 1), TimeUnit.NANOSECONDS);
      MeshCall call = mesh.newCall("model", Get.INSTANCE);
      Attempt attempt;
      try {
        attempt = call.startAttempt();
      } catch (ConcurrencyLimitExceededException e) {
        if (ticker.nanoTime() >= measureFrom) {
          rejected++;
        }
        return;
      }
      Runnable work = () -> serve(call, attempt);
      if (busy < WORKERS) {
        busy++;
        work.run();
      } else {
        queue.add(work);
      }
    }

    private void serve(MeshCall call, Attempt attempt) {
      long service = (long) (SERVICE_NANOS * (0.9 + 0.2 * random.nextDouble()));
      ticker
          .scheduler()
          .schedule(
              () -> {
                call.completeHttp(attempt, 200);
                record(call);
                Runnable next = queue.poll();
                if (next != null) {
                  next.run();
                } else {
                  busy--;
                }
              },
              service,
              TimeUnit.NANOSECONDS);
    }

    private void record(MeshCall call) {
      if (call.startNanos() < measureFrom) {
        return;
      }
      if (completed == latencies.length) {
        latencies = Arrays.copyOf(latencies, completed * 2);
      }
      latencies[completed++] = call.durationNanos();
    }
  }

  private enum Get implements MeshRequest {
    INSTANCE;

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public @Nullable String header(String lowerCaseName) {
      return null;
    }
  }
}
