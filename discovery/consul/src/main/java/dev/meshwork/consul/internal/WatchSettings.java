package dev.meshwork.consul.internal;

import java.time.Duration;

/**
 * How every watch of one source behaves: the blocking {@code wait}, the rate limit on queries that
 * return at once, and the backoff after failures.
 */
public record WatchSettings(
    Duration blockFor, int burst, Duration interval, Duration backoffBase, Duration backoffMax) {

  /** Consul's own maximum for {@code wait}. */
  public static final Duration MAX_WAIT = Duration.ofMinutes(10);

  public WatchSettings {
    if (blockFor.compareTo(Duration.ofMillis(1)) < 0 || blockFor.compareTo(MAX_WAIT) > 0) {
      throw new IllegalArgumentException(
          "wait: " + blockFor + " (expected 1ms..10m; Consul caps blocking queries at 10 minutes)");
    }
    new TokenBucket(burst, interval); // validates
    new Backoff(backoffBase, backoffMax); // validates
  }

  /** 5 minute wait, burst 2 then one query per 15 s, backoff 1 s doubling to 60 s. */
  public static WatchSettings defaults() {
    return new WatchSettings(
        Duration.ofMinutes(5),
        2,
        Duration.ofSeconds(15),
        Duration.ofSeconds(1),
        Duration.ofSeconds(60));
  }

  /**
   * How long a client waits for a blocking answer: Consul may hold the query for {@code wait} plus
   * up to {@code wait/16} of jitter, so anything shorter would time out healthy queries.
   */
  public Duration readTimeout() {
    long jitter = (blockFor.toMillis() + 15) / 16;
    return blockFor.plusMillis(jitter).plus(READ_MARGIN);
  }

  /** Added to {@code wait + wait/16} for the network and a slow agent. */
  public static final Duration READ_MARGIN = Duration.ofSeconds(2);
}
