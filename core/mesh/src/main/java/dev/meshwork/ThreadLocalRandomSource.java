package dev.meshwork;

import java.util.concurrent.ThreadLocalRandom;

/** {@link RandomSource#threadLocal()}. */
enum ThreadLocalRandomSource implements RandomSource {
  INSTANCE;

  @Override
  public int nextInt(int bound) {
    return ThreadLocalRandom.current().nextInt(bound);
  }

  @Override
  public long nextLong(long bound) {
    return ThreadLocalRandom.current().nextLong(bound);
  }

  @Override
  public double nextDouble() {
    return ThreadLocalRandom.current().nextDouble();
  }

  @Override
  public String toString() {
    return "RandomSource.threadLocal()";
  }
}
