package dev.meshwork;

import java.util.concurrent.TimeUnit;

/**
 * The mesh's only source of elapsed time: deadlines, latency, EWMA decay and retry budget windows
 * all read it. Tests substitute a fake ticker (see {@code meshwork-testing}) so that time-driven
 * behaviour runs instantly and deterministically.
 *
 * <p>Implementations must be thread-safe and monotonic.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().ticker(Ticker.system()).build();
 * }</pre>
 */
public interface Ticker {

  /** Nanoseconds from an arbitrary origin; only differences between readings are meaningful. */
  long nanoTime();

  /**
   * Blocks the calling thread for {@code nanos}. Used by blocking adapters for retry backoff; a
   * fake ticker advances its own time instead of sleeping.
   */
  default void sleep(long nanos) throws InterruptedException {
    if (nanos > 0) {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
  }

  /** The ticker backed by {@link System#nanoTime()}. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}
