package dev.meshwork.testing;

import dev.meshwork.Ticker;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} whose time moves only when a test says so, with a {@link
 * ScheduledExecutorService} on the same time: scheduled tasks run, in order, when {@link #advance}
 * passes their due time. {@link #sleep} advances time instead of blocking, so a blocking retry
 * backoff completes instantly.
 *
 * <p>Thread-safe. Starts at an arbitrary non-zero time, so code cannot assume time starts at 0.
 *
 * <pre>{@code
 * FakeTicker ticker = new FakeTicker();
 * Mesh mesh = Mesh.builder().ticker(ticker).scheduler(ticker.scheduler()).build();
 * ticker.advance(Duration.ofSeconds(10));   // runs every task due in the next 10 s
 * }</pre>
 */
public final class FakeTicker implements Ticker {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final FakeScheduler scheduler = new FakeScheduler(this);

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  /** Moves time forward by {@code nanos}, without blocking. */
  @Override
  public void sleep(long nanos) {
    advanceNanos(nanos);
  }

  /** Moves time forward, running every scheduled task that falls due, in due-time order. */
  public void advance(Duration duration) {
    advanceNanos(duration.toNanos());
  }

  public void advanceNanos(long delta) {
    if (delta < 0) {
      throw new IllegalArgumentException("advance: " + delta + " ns (expected >= 0)");
    }
    long target = nanos.get() + delta;
    scheduler.runUntil(target);
    nanos.accumulateAndGet(target, Math::max);
  }

  /** Runs tasks already due (scheduled with no delay) without moving time. */
  public void runDueTasks() {
    scheduler.runUntil(nanos.get());
  }

  /** A scheduler whose delays are measured on this ticker. */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Tasks scheduled and not yet run or cancelled. */
  public int pendingTasks() {
    return scheduler.pending();
  }

  void set(long value) {
    nanos.accumulateAndGet(value, Math::max);
  }

  @Override
  public String toString() {
    return "FakeTicker{" + nanos.get() + "ns}";
  }
}
