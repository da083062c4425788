package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {

  private static final long MS = 1_000_000;

  @Test
  void binsAreExactForSmallValuesAndAboutSixPercentWideAboveThem() {
    for (long micros = 0; micros < 5_000_000; micros = micros * 11 / 10 + 1) {
      long upper = LatencyWindow.upperMicros(LatencyWindow.bin(micros));
      assertThat(upper).isGreaterThanOrEqualTo(micros);
      assertThat(upper).isLessThanOrEqualTo(micros + Math.max(micros / 16, 0) + 1);
    }
    assertThat(LatencyWindow.bin(Long.MAX_VALUE)).isEqualTo(LatencyWindow.BINS - 1);
  }

  @Test
  void thePercentileIsTheSmallestLatencyAtLeastThatShareOfSamplesReach() {
    LatencyWindow w = new LatencyWindow(10, 1000 * MS);
    for (int i = 1; i <= 99; i++) {
      w.record(10 * MS, 0);
    }
    w.record(200 * MS, 0);

    assertThat(w.percentileNanos(0.99, 0, 100)).isBetween(10 * MS, 11 * MS);
    assertThat(w.percentileNanos(0.995, 0, 100)).isBetween(200 * MS, 213 * MS);
    assertThat(w.percentileNanos(0.99, 0, 101)).isEqualTo(-1);
  }

  @Test
  void samplesOlderThanTheWindowNoLongerCount() {
    LatencyWindow w = new LatencyWindow(10, 1000 * MS);
    for (int i = 0; i < 100; i++) {
      w.record(50 * MS, 0);
    }
    for (int i = 0; i < 100; i++) {
      w.record(5 * MS, 9_500 * MS);
    }
    assertThat(w.percentileNanos(0.99, 9_500 * MS, 1)).isGreaterThanOrEqualTo(50 * MS);

    assertThat(w.percentileNanos(0.99, 10_000 * MS, 1)).isLessThan(6 * MS);
  }
}
