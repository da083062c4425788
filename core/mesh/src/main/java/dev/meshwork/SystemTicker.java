package dev.meshwork;

/** {@link Ticker#system()}: the one place in core that reads the JVM's monotonic clock. */
enum SystemTicker implements Ticker {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public String toString() {
    return "Ticker.system()";
  }
}
