package dev.meshwork.resilience;

import dev.meshwork.ConcurrencyLimitFactory;

/**
 * Per-destination concurrency limits for {@link dev.meshwork.Mesh.Builder#concurrencyLimits}: a
 * call that would exceed its destination's limit fails at once with a typed error (OkHttp: {@code
 * MeshConcurrencyLimitException}; gRPC: {@code UNAVAILABLE} naming the service and the limit)
 * instead of queueing without bound.
 *
 * <ul>
 *   <li>{@link #fixed(int)}: at most {@code n} calls in flight per destination.
 *   <li>{@link #adaptive()}: a limit that finds itself, Vegas-style (Netflix concurrency-limits'
 *       {@code VegasLimit}, after TCP Vegas): it compares each call's latency with the lowest
 *       latency seen (the latency without queueing), estimates how many calls wait in a queue
 *       somewhere, and grows the limit while that queue is short, shrinks it when it is long or
 *       calls fail. See {@link AdaptiveLimit}.
 * </ul>
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().concurrencyLimits(ConcurrencyLimits.adaptive().build()).build();
 * }</pre>
 */
public final class ConcurrencyLimits {

  private ConcurrencyLimits() {}

  /** At most {@code limit} calls in flight to each destination. */
  public static ConcurrencyLimitFactory fixed(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("fixed concurrency limit: " + limit + " (expected >= 1)");
    }
    return new ConcurrencyLimitFactory() {
      @Override
      public dev.meshwork.ConcurrencyLimit create(dev.meshwork.ServiceName s, dev.meshwork.Mesh m) {
        return new FixedLimit(limit);
      }

      @Override
      public String toString() {
        return "ConcurrencyLimits.fixed(" + limit + ")";
      }
    };
  }

  /** An adaptive (Vegas-style) limit per destination; see {@link AdaptiveLimit.Builder}. */
  public static AdaptiveLimit.Builder adaptive() {
    return AdaptiveLimit.builder();
  }
}
