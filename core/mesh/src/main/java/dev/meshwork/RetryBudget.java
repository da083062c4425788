package dev.meshwork;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Caps retries to a share of recent traffic, so that retries can never multiply load on a service
 * that is already failing (Finagle's and Linkerd's retry budget). Every original request deposits;
 * every retry withdraws {@code 1 / ratio} deposits; deposits expire after the TTL; a reserve of
 * {@code minRetriesPerSecond × ttl} retries lets low-traffic clients retry at all.
 *
 * <p>With the defaults (ratio 0.2, 10 retries/s, TTL 10 s), over any 10 s window, retries ≤ 20 % of
 * requests + 100.
 *
 * <p>The mesh keeps one budget per destination service, shared by every client of the same {@link
 * Mesh} (OkHttp and gRPC alike) and by hedged requests. Lock-free and thread-safe: the window is a
 * ring of ten slots, each an atomic word holding its time slice and its balance.
 *
 * <pre>{@code
 * RetryBudget budget = mesh.retryBudget(ServiceName.of("ratings"));
 * long retriesLeft = budget.balance();
 * }</pre>
 */
public final class RetryBudget {

  private static final int SLOTS = 10;
  private static final int VALUE_BITS = 40;
  private static final long VALUE_MASK = (1L << VALUE_BITS) - 1;
  private static final long SLICE_MASK = (1L << (64 - VALUE_BITS)) - 1;
  private static final long DEPOSIT = 1000;

  private final Ticker ticker;
  private final long sliceNanos;
  private final long deposit;
  private final long withdrawal;
  private final long reserve;
  private final double ratio;
  private final int minRetriesPerSecond;
  private final Duration ttl;
  private final AtomicLongArray slots = new AtomicLongArray(SLOTS);

  private RetryBudget(Duration ttl, int minRetriesPerSecond, double ratio, Ticker ticker) {
    this.ttl = ttl;
    this.ratio = ratio;
    this.minRetriesPerSecond = minRetriesPerSecond;
    this.ticker = ticker;
    this.sliceNanos = Math.max(ttl.toNanos() / SLOTS, 1);
    // A ratio of 0 means "only the reserve": deposits count for nothing.
    this.deposit = ratio == 0 ? 0 : DEPOSIT;
    this.withdrawal = ratio == 0 ? DEPOSIT : Math.round(DEPOSIT / ratio);
    this.reserve = (long) (minRetriesPerSecond * (ttl.toNanos() / 1e9) * withdrawal);
    long now = ticker.nanoTime() / sliceNanos;
    for (int i = 0; i < SLOTS; i++) {
      // Mark every slot as stale so that a fresh budget starts with only the reserve.
      slots.set(i, pack(now - SLOTS, 0));
    }
  }

  /**
   * A budget allowing retries of {@code ratio} of requests over the last {@code ttl}, plus {@code
   * minRetriesPerSecond} regardless of traffic.
   */
  public static RetryBudget create(
      Duration ttl, int minRetriesPerSecond, double ratio, Ticker ticker) {
    if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.compareTo(Duration.ofSeconds(60)) > 0) {
      throw new IllegalArgumentException("retry budget ttl: " + ttl + " (expected 1s..60s)");
    }
    if (minRetriesPerSecond < 0) {
      throw new IllegalArgumentException(
          "retry budget minRetriesPerSecond: " + minRetriesPerSecond + " (expected >= 0)");
    }
    if (!(ratio >= 0 && ratio <= 1000)) {
      throw new IllegalArgumentException("retry budget ratio: " + ratio + " (expected 0..1000)");
    }
    return new RetryBudget(ttl, minRetriesPerSecond, ratio, ticker);
  }

  /** The default budget: ratio 0.2, 10 retries per second, TTL 10 s. */
  public static RetryBudget defaults(Ticker ticker) {
    return create(Duration.ofSeconds(10), 10, 0.2, ticker);
  }

  /** Records an original request. */
  public void deposit() {
    if (deposit != 0) {
      add(deposit);
    }
  }

  /** Takes one retry from the budget; false, with nothing taken, if the budget is exhausted. */
  public boolean tryWithdraw() {
    long slice = add(-withdrawal);
    // Withdraw first and check after, so that racing withdrawals can never overdraw together.
    if (reserve + sum(slice) < 0) {
      add(withdrawal);
      return false;
    }
    return true;
  }

  /** Retries currently available (rounded down). */
  public long balance() {
    long slice = ticker.nanoTime() / sliceNanos;
    return Math.max(reserve + sum(slice), 0) / withdrawal;
  }

  public double ratio() {
    return ratio;
  }

  public int minRetriesPerSecond() {
    return minRetriesPerSecond;
  }

  public Duration ttl() {
    return ttl;
  }

  private long add(long delta) {
    long slice = ticker.nanoTime() / sliceNanos;
    int i = (int) Math.floorMod(slice, SLOTS);
    while (true) {
      long word = slots.get(i);
      long value = sliceOf(word) == (slice & SLICE_MASK) ? valueOf(word) + delta : delta;
      if (slots.compareAndSet(i, word, pack(slice, value))) {
        return slice;
      }
    }
  }

  private long sum(long slice) {
    long total = 0;
    for (int i = 0; i < SLOTS; i++) {
      long word = slots.get(i);
      long age = (slice - sliceOf(word)) & SLICE_MASK;
      if (age < SLOTS) {
        total += valueOf(word);
      }
    }
    return total;
  }

  private static long pack(long slice, long value) {
    return ((slice & SLICE_MASK) << VALUE_BITS) | (value & VALUE_MASK);
  }

  private static long sliceOf(long word) {
    return word >>> VALUE_BITS;
  }

  /** Sign-extends the low 40 bits. */
  private static long valueOf(long word) {
    return (word << (64 - VALUE_BITS)) >> (64 - VALUE_BITS);
  }

  @Override
  public String toString() {
    return "RetryBudget{ratio="
        + ratio
        + ", minRetriesPerSecond="
        + minRetriesPerSecond
        + ", ttl="
        + ttl.toSeconds()
        + "s, balance="
        + balance()
        + "}";
  }
}
