package dev.meshwork.resilience;

import dev.meshwork.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The mesh's {@link Ticker} as a {@link Clock}, for resilience4j's open-state timer and sliding
 * window: monotonic and, in tests, fake. Its instants are nanoseconds of the ticker, not wall time.
 */
final class TickerClock extends Clock {

  private final Ticker ticker;

  TickerClock(Ticker ticker) {
    this.ticker = ticker;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochSecond(0, ticker.nanoTime());
  }

  @Override
  public long millis() {
    return Math.floorDiv(ticker.nanoTime(), 1_000_000L);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
