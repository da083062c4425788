package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.ResponseClass;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConsecutiveFailuresBreakerTest {

  private final GateFixture f = new GateFixture();
  private final ConsecutiveFailuresBreaker breaker =
      new ConsecutiveFailuresBreaker(ConsecutiveFailures.defaults(), f.reporter(1));

  @AfterEach
  void close() {
    f.close();
  }

  private void fail(int times) {
    for (int i = 0; i < times; i++) {
      assertThat(breaker.tryAcquire()).isTrue();
      breaker.onComplete(ResponseClass.FAILURE, 1_000_000);
    }
  }

  @Test
  void sevenFailuresInARowOpenTheBreakerAndSixDoNot() {
    fail(6);
    assertThat(breaker.isAdmitting()).isTrue();
    breaker.onComplete(ResponseClass.SUCCESS, 1_000_000);
    fail(6);
    assertThat(breaker.isAdmitting()).isTrue();

    fail(1);

    assertThat(breaker.isAdmitting()).isFalse();
    assertThat(breaker.tryAcquire()).isFalse();
    assertThat(f.events.events("gateStateChanged"))
        .singleElement()
        .asString()
        .startsWith(
            "gateStateChanged reviews.default 10.0.0.1:80 ADMITTING -> REJECTING (consecutive"
                + " failures: 7 consecutive failures, out for ");
  }

  @Test
  void afterThePenaltyExactlyOneProbeIsAdmittedAndItsSuccessCloses() {
    fail(7);
    f.ticker.advance(Duration.ofMillis(999));
    assertThat(breaker.isAdmitting()).isFalse();
    f.ticker.advance(Duration.ofMillis(501)); // 1 s penalty + at most 50 % jitter

    assertThat(breaker.isAdmitting()).isTrue();
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.isAdmitting()).isFalse();
    assertThat(breaker.tryAcquire()).isFalse();

    breaker.onComplete(ResponseClass.SUCCESS, 1_000_000);
    assertThat(breaker.isAdmitting()).isTrue();
    assertThat(f.events.events("gateStateChanged"))
        .hasSize(3)
        .element(2)
        .asString()
        .endsWith("PROBING -> ADMITTING (consecutive failures: probe succeeded)");
  }

  @Test
  void aFailedProbeDoublesThePenaltyUpToTheMaximum() {
    fail(7);
    long[] penalties = new long[8];
    for (int i = 0; i < penalties.length; i++) {
      long opened = f.ticker.nanoTime();
      while (!breaker.isAdmitting()) {
        f.ticker.advance(Duration.ofMillis(10));
      }
      penalties[i] = (f.ticker.nanoTime() - opened) / 1_000_000;
      assertThat(breaker.tryAcquire()).isTrue();
      breaker.onComplete(ResponseClass.RETRYABLE_FAILURE, 1_000_000);
    }
    // base 1 s × 2^(n−1), capped at 60 s, plus up to 50 % jitter (10 ms steps).
    long[] base = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (int i = 0; i < base.length; i++) {
      assertThat(penalties[i]).isBetween(base[i], base[i] * 3 / 2 + 10);
    }
  }

  @Test
  void aReleasedProbeCanBeTakenAgain() {
    fail(7);
    f.ticker.advance(Duration.ofSeconds(2));
    assertThat(breaker.tryAcquire()).isTrue();

    breaker.onComplete(ResponseClass.IGNORED, 0);

    assertThat(breaker.isAdmitting()).isTrue();
    assertThat(breaker.tryAcquire()).isTrue();
  }
}
