package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.meshwork.ResponseClass;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SlowStartTest {

  private final GateFixture f = new GateFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aNewEndpointsWeightRampsLinearlyFromTenPercentOverTheWindow() {
    CompositeGate g =
        (CompositeGate)
            EndpointGates.builder()
                .slowStart(SlowStart.over(Duration.ofSeconds(20)))
                .build()
                .create(f.service, f.reporter(1).endpoint(), f.mesh);

    assertThat(g.weightFactor()).isEqualTo(0.1);
    f.ticker.advance(Duration.ofSeconds(5));
    assertThat(g.weightFactor()).isCloseTo(0.25, within(1e-9));
    f.ticker.advance(Duration.ofSeconds(10));
    assertThat(g.weightFactor()).isCloseTo(0.75, within(1e-9));
    f.ticker.advance(Duration.ofSeconds(5));
    assertThat(g.weightFactor()).isEqualTo(1.0);
  }

  @Test
  void aggressionShapesTheRamp() {
    SlowStart s = SlowStart.of(Duration.ofSeconds(10), 5, 2.0);

    assertThat(s.factor(0)).isEqualTo(0.05);
    assertThat(s.factor(2_500_000_000L)).isCloseTo(0.5, within(1e-9)); // sqrt(0.25)
    assertThat(s.factor(10_000_000_000L)).isEqualTo(1.0);
  }

  @Test
  void anEndpointReadmittedByItsBreakerRampsUpAgain() {
    CompositeGate g =
        (CompositeGate)
            EndpointGates.builder()
                .consecutiveFailures(ConsecutiveFailures.builder().maxFailures(1).build())
                .slowStart(SlowStart.over(Duration.ofSeconds(10)))
                .build()
                .create(f.service, f.reporter(1).endpoint(), f.mesh);
    f.ticker.advance(Duration.ofSeconds(10));
    assertThat(g.weightFactor()).isEqualTo(1.0);

    assertThat(g.tryAcquire()).isTrue();
    g.onComplete(ResponseClass.FAILURE, 1);
    f.ticker.advance(Duration.ofSeconds(2));
    assertThat(g.tryAcquire()).isTrue(); // the probe
    g.onComplete(ResponseClass.SUCCESS, 1);

    assertThat(g.weightFactor()).isEqualTo(0.1);
  }
}
