package dev.meshwork.testing;

import dev.meshwork.RandomSource;
import java.util.Random;

/**
 * A {@link RandomSource} with a fixed seed, so that distribution tests (weighted splits,
 * power-of-two-choices) give the same draws on every run. Thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().random(new SeededRandom(42)).build();
 * }</pre>
 */
public final class SeededRandom implements RandomSource {

  private final long seed;
  private final Random random;

  public SeededRandom(long seed) {
    this.seed = seed;
    this.random = new Random(seed);
  }

  @Override
  public int nextInt(int bound) {
    return random.nextInt(bound);
  }

  @Override
  public long nextLong(long bound) {
    return random.nextLong(bound);
  }

  @Override
  public double nextDouble() {
    return random.nextDouble();
  }

  @Override
  public String toString() {
    return "SeededRandom(" + seed + ")";
  }
}
