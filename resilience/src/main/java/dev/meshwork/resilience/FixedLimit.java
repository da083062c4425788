package dev.meshwork.resilience;

import dev.meshwork.ConcurrencyLimit;
import dev.meshwork.ResponseClass;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link ConcurrencyLimits#fixed}: an atomic count of calls in flight under a constant cap. */
final class FixedLimit implements ConcurrencyLimit {

  private final int limit;
  private final AtomicInteger inFlight = new AtomicInteger();

  FixedLimit(int limit) {
    this.limit = limit;
  }

  @Override
  public boolean tryAcquire() {
    while (true) {
      int n = inFlight.get();
      if (n >= limit) {
        return false;
      }
      if (inFlight.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  @Override
  public void release(ResponseClass result, long rttNanos) {
    inFlight.decrementAndGet();
  }

  @Override
  public int limit() {
    return limit;
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public String toString() {
    return "FixedLimit{" + inFlight.get() + "/" + limit + "}";
  }
}
