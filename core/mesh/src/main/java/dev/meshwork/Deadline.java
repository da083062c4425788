package dev.meshwork;

import java.time.Duration;
import java.util.Objects;

/**
 * A point in time by which a call must be done, measured on a {@link Ticker}. Deadlines only ever
 * shorten as they travel: a call's deadline is the earliest of its caller's, its route's timeout
 * and its own.
 *
 * <p>Immutable and thread-safe. Deadlines on different tickers are compared by their remaining
 * time.
 *
 * <pre>{@code
 * Deadline deadline = Deadline.after(Duration.ofMillis(250), Ticker.system());
 * try (MeshContext.Scope scope = MeshContext.current().withDeadline(deadline).makeCurrent()) {
 *   client.newCall(request).execute();   // carries at most 250 ms
 * }
 * }</pre>
 */
public final class Deadline implements Comparable<Deadline> {

  private final Ticker ticker;
  private final long atNanos;

  private Deadline(Ticker ticker, long atNanos) {
    this.ticker = ticker;
    this.atNanos = atNanos;
  }

  /** The deadline {@code timeout} from now. */
  public static Deadline after(Duration timeout, Ticker ticker) {
    return afterNanos(saturatedNanos(timeout), ticker);
  }

  /** The deadline {@code nanos} from now; negative values give an already expired deadline. */
  public static Deadline afterNanos(long nanos, Ticker ticker) {
    Objects.requireNonNull(ticker, "ticker");
    long now = ticker.nanoTime();
    long at = now + nanos;
    if (nanos > 0 && at < now) {
      at = Long.MAX_VALUE; // overflow: as good as never
    }
    return new Deadline(ticker, at);
  }

  /** Time left, negative once expired. */
  public long remainingNanos() {
    return atNanos - ticker.nanoTime();
  }

  public Duration remaining() {
    return Duration.ofNanos(remainingNanos());
  }

  public boolean isExpired() {
    return remainingNanos() <= 0;
  }

  public Ticker ticker() {
    return ticker;
  }

  /** Whichever of this and {@code other} comes first. */
  public Deadline earliest(Deadline other) {
    return compareTo(other) <= 0 ? this : other;
  }

  @Override
  public int compareTo(Deadline other) {
    if (other.ticker == ticker) {
      return Long.compare(atNanos - other.atNanos, 0);
    }
    return Long.compare(remainingNanos(), other.remainingNanos());
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE / 2 : Long.MAX_VALUE / 2;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Deadline
        && ((Deadline) o).ticker == ticker
        && ((Deadline) o).atNanos == atNanos;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(atNanos);
  }

  @Override
  public String toString() {
    long ms = remainingNanos() / 1_000_000;
    return ms > 0 ? "deadline in " + ms + " ms" : "deadline expired " + -ms + " ms ago";
  }
}
