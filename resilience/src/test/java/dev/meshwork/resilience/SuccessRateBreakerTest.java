package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.ResponseClass;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SuccessRateBreakerTest {

  private final GateFixture f = new GateFixture();
  private final SuccessRateBreaker breaker =
      new SuccessRateBreaker(SuccessRate.defaults(), f.reporter(1));

  @AfterEach
  void close() {
    f.close();
  }

  private void attempt(ResponseClass result) {
    assertThat(breaker.tryAcquire()).isTrue();
    breaker.onComplete(result, 2_000_000);
  }

  @Test
  void aSuccessRateOfEightyPercentOrLessOpensTheBreaker() {
    for (int i = 0; i < 9; i++) {
      attempt(ResponseClass.SUCCESS);
    }
    attempt(ResponseClass.FAILURE);
    attempt(ResponseClass.RETRYABLE_FAILURE);
    assertThat(breaker.isAdmitting()).isTrue(); // 9 of 11: 82 %

    attempt(ResponseClass.FAILURE); // 9 of 12: 75 %

    assertThat(breaker.isAdmitting()).isFalse();
    assertThat(breaker.breaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(f.events.events("gateStateChanged"))
        .containsExactly(
            "gateStateChanged reviews.default 10.0.0.1:80 ADMITTING -> REJECTING (success rate:"
                + " success rate 75% below threshold)");
  }

  @Test
  void failuresOutsideTheTimeWindowDoNotCount() {
    for (int i = 0; i < 5; i++) {
      attempt(ResponseClass.FAILURE);
      if (i == 3) {
        f.ticker.advance(Duration.ofSeconds(11));
      }
    }
    assertThat(breaker.isAdmitting()).isTrue();
  }

  @Test
  void theMeshsTickerEndsThePenaltyAndOneProbeDecides() {
    for (int i = 0; i < 5; i++) {
      attempt(ResponseClass.FAILURE);
    }
    assertThat(breaker.tryAcquire()).isFalse();
    f.ticker.advance(Duration.ofMillis(1600)); // 1 s + at most 50 % jitter

    assertThat(breaker.isAdmitting()).isTrue();
    assertThat(breaker.tryAcquire()).isTrue();
    assertThat(breaker.tryAcquire()).isFalse(); // one probe at a time
    breaker.onComplete(ResponseClass.SUCCESS, 1_000_000);

    assertThat(breaker.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(f.events.events("gateStateChanged"))
        .extracting(e -> e.substring(e.indexOf("10.0.0.1:80") + 12))
        .containsExactly(
            "ADMITTING -> REJECTING (success rate: success rate 0% below threshold)",
            "REJECTING -> PROBING (success rate: penalty over, probing)",
            "PROBING -> ADMITTING (success rate: probe succeeded)");
  }

  @Test
  void ignoredAttemptsGiveTheirPermissionBack() {
    for (int i = 0; i < 5; i++) {
      attempt(ResponseClass.FAILURE);
    }
    f.ticker.advance(Duration.ofSeconds(2));
    assertThat(breaker.tryAcquire()).isTrue();

    breaker.onComplete(ResponseClass.IGNORED, 0);

    assertThat(breaker.tryAcquire()).isTrue();
  }
}
