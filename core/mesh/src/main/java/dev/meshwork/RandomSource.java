package dev.meshwork;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Randomness for weighted splits, power-of-two-choices picks and backoff jitter. Injected so that
 * tests can use a seeded source and assert distributions with tolerances.
 *
 * <p>Implementations must be thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().random(RandomSource.threadLocal()).build();
 * }</pre>
 */
public interface RandomSource {

  /** A uniformly distributed int in {@code [0, bound)}; {@code bound} is positive. */
  int nextInt(int bound);

  /** A uniformly distributed long in {@code [0, bound)}; {@code bound} is positive. */
  long nextLong(long bound);

  /** A uniformly distributed double in {@code [0, 1)}. */
  double nextDouble();

  /** The default source, backed by {@link ThreadLocalRandom}: contention-free. */
  static RandomSource threadLocal() {
    return ThreadLocalRandomSource.INSTANCE;
  }
}
