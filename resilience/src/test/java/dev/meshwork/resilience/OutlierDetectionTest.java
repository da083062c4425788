package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.ResponseClass;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutlierDetectionTest {

  private final GateFixture f = new GateFixture();
  private final List<CompositeGate> gates = new ArrayList<>();

  @AfterEach
  void close() {
    f.close();
  }

  private void endpoints(OutlierDetection config, int n) {
    EndpointGates factory = EndpointGates.builder().outlierDetection(config).build();
    for (int i = 1; i <= n; i++) {
      gates.add((CompositeGate) factory.create(f.service, f.reporter(i).endpoint(), f.mesh));
    }
  }

  private void answer(int endpoint, ResponseClass result, int times) {
    CompositeGate g = gates.get(endpoint);
    for (int i = 0; i < times; i++) {
      if (g.tryAcquire()) {
        g.onComplete(result, 1_000_000);
      }
    }
  }

  private long ejected() {
    return gates.stream().filter(g -> !g.isAdmitting()).count();
  }

  @Test
  void fiveFailuresInARowEjectAnEndpointUntilTheIntervalAfterItsEjectionTime() {
    endpoints(OutlierDetection.defaults(), 4);

    answer(0, ResponseClass.FAILURE, 4);
    assertThat(gates.get(0).isAdmitting()).isTrue();
    answer(0, ResponseClass.RETRYABLE_FAILURE, 1);

    assertThat(gates.get(0).isAdmitting()).isFalse();
    assertThat(gates.get(0).tryAcquire()).isFalse();
    f.ticker.advance(Duration.ofSeconds(29));
    assertThat(gates.get(0).isAdmitting()).isFalse();
    f.ticker.advance(Duration.ofSeconds(11)); // 30 s ejection, ended at the 40 s review
    assertThat(gates.get(0).isAdmitting()).isTrue();
    assertThat(f.events.events("gateStateChanged"))
        .extracting(e -> e.substring(e.indexOf("10.0.0.1:80") + 12))
        .containsExactly(
            "ADMITTING -> REJECTING (outlier detection: 5 consecutive failures, ejected for 30000"
                + " ms)",
            "REJECTING -> ADMITTING (outlier detection: ejection over)");
  }

  @Test
  void noMoreThanHalfTheEndpointsAreEjectedAtOnce() {
    endpoints(OutlierDetection.defaults(), 4);

    for (int i = 0; i < 4; i++) {
      answer(i, ResponseClass.FAILURE, 5);
    }

    assertThat(ejected()).isEqualTo(2);
  }

  @Test
  void theLastAdmittingEndpointIsNeverEjected() {
    endpoints(OutlierDetection.builder().maxEjectionPercent(100).build(), 2);

    answer(0, ResponseClass.FAILURE, 5);
    answer(1, ResponseClass.FAILURE, 50);

    assertThat(gates.get(0).isAdmitting()).isFalse();
    assertThat(gates.get(1).isAdmitting()).isTrue();
  }

  @Test
  void anEndpointWhoseSuccessRateLagsTheOthersIsEjectedAtTheInterval() {
    endpoints(OutlierDetection.builder().consecutiveFailures(0).build(), 6);
    for (int i = 0; i < 6; i++) {
      answer(i, ResponseClass.SUCCESS, 100);
    }
    // Endpoint 5 fails every other request: 50 % against the others' 100 %.
    for (int i = 0; i < 100; i++) {
      answer(5, i % 2 == 0 ? ResponseClass.FAILURE : ResponseClass.SUCCESS, 1);
    }
    assertThat(ejected()).isZero();

    f.ticker.advance(Duration.ofSeconds(10));

    assertThat(gates.get(5).isAdmitting()).isFalse();
    assertThat(ejected()).isEqualTo(1);
    assertThat(f.events.events("gateStateChanged"))
        .singleElement()
        .asString()
        .contains("10.0.0.6:80 ADMITTING -> REJECTING (outlier detection: success rate 75.0%");
  }

  @Test
  void tooFewRequestsLeaveSuccessRatesUncompared() {
    endpoints(OutlierDetection.builder().consecutiveFailures(0).build(), 6);
    for (int i = 0; i < 5; i++) {
      answer(i, ResponseClass.SUCCESS, 99);
    }
    answer(5, ResponseClass.FAILURE, 99);

    f.ticker.advance(Duration.ofSeconds(10));

    assertThat(ejected()).isZero();
  }

  @Test
  void aRepeatOffenderIsEjectedForLonger() {
    endpoints(OutlierDetection.defaults(), 4);
    answer(0, ResponseClass.FAILURE, 5);
    f.ticker.advance(Duration.ofSeconds(30)); // readmitted at the 30 s review

    answer(0, ResponseClass.FAILURE, 5);

    assertThat(f.events.events("gateStateChanged"))
        .last()
        .asString()
        .endsWith("5 consecutive failures, ejected for 60000 ms)");
  }
}
