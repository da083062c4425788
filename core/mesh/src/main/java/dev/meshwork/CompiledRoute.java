package dev.meshwork;

import java.util.Arrays;

/**
 * A route linked to the endpoints of its backends, with the weighted choice precomputed over the
 * backends that have endpoints: the share of a backend without endpoints goes to the others in
 * proportion to their weights. When none has endpoints, the configured weights are used as they are
 * and the call fails fast on the chosen backend.
 */
final class CompiledRoute {

  final Route route;
  final RetryPolicy retryPolicy;

  /** Whole-call time limit in nanoseconds; 0 for none. */
  final long timeoutNanos;

  final LinkedBackend[] backends;
  private final LinkedBackend[] choices;
  private final long[] cumulative;

  /** Some weighted backends have endpoints and some do not. */
  private final boolean redistributing;

  CompiledRoute(Route route, RetryPolicy retryPolicy, long timeoutNanos, LinkedBackend[] backends) {
    this.route = route;
    this.retryPolicy = retryPolicy;
    this.timeoutNanos = timeoutNanos;
    this.backends = backends;
    LinkedBackend[] withEndpoints =
        Arrays.stream(backends)
            .filter(b -> b.backend.weight() > 0 && !b.endpoints.isEmpty())
            .toArray(LinkedBackend[]::new);
    this.choices =
        withEndpoints.length > 0
            ? withEndpoints
            : Arrays.stream(backends)
                .filter(b -> b.backend.weight() > 0)
                .toArray(LinkedBackend[]::new);
    long weighted = Arrays.stream(backends).filter(b -> b.backend.weight() > 0).count();
    this.redistributing = withEndpoints.length > 0 && withEndpoints.length < weighted;
    this.cumulative = new long[choices.length];
    long sum = 0;
    for (int i = 0; i < choices.length; i++) {
      sum += choices[i].backend.weight();
      cumulative[i] = sum;
    }
  }

  LinkedBackend pickBackend(RandomSource random) {
    if (choices.length == 1) {
      return choices[0];
    }
    long x = random.nextLong(cumulative[cumulative.length - 1]);
    // Few backends: a linear scan beats a binary search.
    for (int i = 0; i < cumulative.length; i++) {
      if (x < cumulative[i]) {
        return choices[i];
      }
    }
    throw new AssertionError(x);
  }

  /** Whether {@code backend}'s share currently goes to the route's other backends. */
  boolean isUnavailable(LinkedBackend backend) {
    return redistributing && backend.backend.weight() > 0 && backend.endpoints.isEmpty();
  }
}
