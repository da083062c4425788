package dev.meshwork.resilience;

import dev.meshwork.Attempt;
import dev.meshwork.HedgingPolicy;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshContext;
import dev.meshwork.ResponseClass;
import dev.meshwork.RetryBudget;
import dev.meshwork.ServiceName;
import dev.meshwork.Ticker;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hedged ("backup") requests with Finagle's rule: given the extra load a destination may take,
 * {@code maxExtraLoad} (0.01 = 1 %), a backup of an idempotent call goes out once the first attempt
 * has taken longer than the latency percentile {@code 1 − maxExtraLoad} of recent attempts (p99 for
 * 1 %), never sooner than {@code minDelay} (1 ms). The percentile comes from a windowed histogram
 * of the destination's attempt latencies (30 s, in 3 s slices) and is recomputed every {@code
 * refresh} (3 s); until it has {@code 1 / maxExtraLoad} samples, no backups are sent. Latencies of
 * successful attempts are recorded, and of attempts cut off because the other answered first (how
 * long they had run); fast failures are not, as they would pull the percentile down.
 *
 * <p>Backups are paid twice: from a budget of this policy's own, {@code maxExtraLoad} of calls with
 * no reserve (as Finagle), so a sudden latency shift cannot turn every call into two; and from the
 * destination's {@link RetryBudget}, shared with retries. So extra requests stay at most {@code
 * maxExtraLoad} of calls. The first answer wins; the other attempt is cancelled and classified
 * {@link ResponseClass#IGNORED}, so it counts against nobody.
 *
 * <p>Off by default: register it with {@link dev.meshwork.Mesh.Builder#hedging}. Thread-safe;
 * lock-free on the request path.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().hedging(Hedging.maxExtraLoad(0.01)).build();
 * }</pre>
 */
public final class Hedging implements HedgingPolicy {

  private static final MeshContext.Key<Destination> DESTINATION =
      MeshContext.Key.named("meshwork.hedging");
  private static final int SLOTS = 10;

  private final double maxExtraLoad;
  private final long minDelayNanos;
  private final long sliceNanos;
  private final long refreshNanos;
  private final long minSamples;
  private final ConcurrentHashMap<ServiceName, Destination> destinations =
      new ConcurrentHashMap<>();

  private Hedging(Builder b) {
    this.maxExtraLoad = b.maxExtraLoad;
    this.minDelayNanos = b.minDelay.toNanos();
    this.sliceNanos = Math.max(b.window.toNanos() / SLOTS, 1);
    this.refreshNanos = b.refresh.toNanos();
    this.minSamples = (long) Math.ceil(1 / b.maxExtraLoad);
  }

  /** Backups at the {@code 1 − maxExtraLoad} latency percentile, with the other defaults. */
  public static Hedging maxExtraLoad(double maxExtraLoad) {
    return builder().maxExtraLoad(maxExtraLoad).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public double maxExtraLoad() {
    return maxExtraLoad;
  }

  @Override
  public long backupDelayNanos(MeshCall call) {
    Destination d = destination(call);
    d.budget.deposit();
    call.attach(DESTINATION, d);
    return d.delay(call.startNanos());
  }

  @Override
  public boolean allowBackup(MeshCall call) {
    Destination d = call.attachment(DESTINATION);
    return d != null && d.budget.tryWithdraw();
  }

  @Override
  public void attemptEnded(MeshCall call, Attempt attempt) {
    Destination d = call.attachment(DESTINATION);
    ResponseClass result = attempt.result();
    if (d == null || attempt.isInjectedAbort()) {
      return;
    }
    if (result == ResponseClass.SUCCESS || (result == ResponseClass.IGNORED && call.isEnded())) {
      long latency = attempt.latencyNanos();
      d.window.record(latency, attempt.startNanos() + latency);
    }
  }

  /**
   * The backup delay in force for {@code service} now, in nanoseconds; -1 while there are too few
   * samples. For inspection and tests.
   */
  public long currentDelayNanos(ServiceName service) {
    Destination d = destinations.get(service);
    return d == null ? -1 : d.delayNanos;
  }

  private Destination destination(MeshCall call) {
    Destination d = destinations.get(call.service());
    if (d == null) {
      Ticker ticker = call.mesh().ticker();
      d = destinations.computeIfAbsent(call.service(), s -> new Destination(ticker));
    }
    return d;
  }

  @Override
  public String toString() {
    return "Hedging{maxExtraLoad=" + maxExtraLoad + ", minDelay=" + minDelayNanos / 1000 + "us}";
  }

  /** One destination's latency window, current delay and backup budget. */
  private final class Destination {
    final LatencyWindow window = new LatencyWindow(SLOTS, sliceNanos);
    final RetryBudget budget;
    final AtomicLong nextRefresh;
    volatile long delayNanos = -1;

    Destination(Ticker ticker) {
      this.budget = RetryBudget.create(Duration.ofSeconds(10), 0, maxExtraLoad, ticker);
      this.nextRefresh = new AtomicLong(ticker.nanoTime() + refreshNanos);
    }

    long delay(long now) {
      long due = nextRefresh.get();
      if (now >= due && nextRefresh.compareAndSet(due, now + refreshNanos)) {
        long p = window.percentileNanos(1 - maxExtraLoad, now, minSamples);
        delayNanos = p < 0 ? -1 : Math.max(p, minDelayNanos);
      }
      return delayNanos;
    }
  }

  /** Not thread-safe. */
  public static final class Builder {
    private double maxExtraLoad = 0.01;
    private Duration minDelay = Duration.ofMillis(1);
    private Duration window = Duration.ofSeconds(30);
    private Duration refresh = Duration.ofSeconds(3);

    private Builder() {}

    /** The extra load allowed, in (0, 1); default 0.01 (backups at p99). */
    public Builder maxExtraLoad(double maxExtraLoad) {
      if (!(maxExtraLoad > 0 && maxExtraLoad < 1)) {
        throw new IllegalArgumentException(
            "hedging maxExtraLoad: " + maxExtraLoad + " (expected 0 < x < 1)");
      }
      this.maxExtraLoad = maxExtraLoad;
      return this;
    }

    /** The shortest backup delay; default 1 ms. */
    public Builder minDelay(Duration minDelay) {
      if (minDelay.isNegative()) {
        throw new IllegalArgumentException("hedging minDelay: " + minDelay + " (expected >= 0)");
      }
      this.minDelay = minDelay;
      return this;
    }

    /** How far back latencies count, and how often the percentile is recomputed. */
    public Builder window(Duration window, Duration refresh) {
      if (window.compareTo(Duration.ofSeconds(1)) < 0
          || refresh.isNegative()
          || refresh.isZero()
          || refresh.compareTo(window) > 0) {
        throw new IllegalArgumentException(
            "hedging window: "
                + window
                + ", refresh: "
                + refresh
                + " (expected window >= 1s and 0 < refresh <= window)");
      }
      this.window = window;
      this.refresh = refresh;
      return this;
    }

    public Hedging build() {
      return new Hedging(this);
    }
  }
}
