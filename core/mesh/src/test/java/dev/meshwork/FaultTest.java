package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FaultTest {

  @Test
  void theHeaderSyntaxNamesAnAbortStatusADelayAndAPercentage() {
    Fault f = Fault.parse("abort=503; delay=100ms ;percentage=10");

    assertThat(f.abortHttpStatus()).isEqualTo(503);
    assertThat(f.abortGrpcCode()).isEqualTo(14);
    assertThat(f.abortPercent()).isEqualTo(10);
    assertThat(f.delay()).isEqualTo(Duration.ofMillis(100));
    assertThat(f.delayPercent()).isEqualTo(10);
    assertThat(f.retried()).isFalse();
  }

  @Test
  void aGrpcCodeNameAbortsRpcsWithItAndHttpWithTheMappedStatus() {
    Fault f = Fault.parse("abort=resource_exhausted");

    assertThat(f.abortGrpcCode()).isEqualTo(8);
    assertThat(f.abortHttpStatus()).isEqualTo(429);
    assertThat(f.abortPercent()).isEqualTo(100);
    assertThat(f.delayPercent()).isZero();
  }

  @Test
  void malformedHeadersAreRejectedWithWhatWasExpected() {
    assertThatThrownBy(() -> Fault.parse("percentage=10"))
        .hasMessage("meshwork-fault: percentage=10 (expected abort= or delay=)");
    assertThatThrownBy(() -> Fault.parse("delay=fast"))
        .hasMessage("meshwork-fault: delay=fast (expected a duration such as 100ms, 2s or 500us)");
    assertThatThrownBy(() -> Fault.parse("abort=NOPE"))
        .hasMessage("meshwork-fault: abort=NOPE (expected an HTTP status or a gRPC code name)");
    assertThatThrownBy(() -> Fault.parse("abort=503;percentage=150"))
        .hasMessage("fault abort percentage: 150.0 (expected 0..100)");
    assertThatThrownBy(() -> Fault.parse("explode=1"))
        .hasMessage("meshwork-fault: explode (expected abort, delay or percentage)");
  }

  @Test
  void aFaultIsAValueAndShowsOnItsRoute() {
    Fault a = Fault.builder().abort(503, 10).delay(Duration.ofMillis(5), 50).build();
    Fault b = Fault.builder().delay(Duration.ofMillis(5), 50).abort(503, 10).build();
    Route route = Route.builder().backends(Backend.of("reviews", 1)).fault(a).build();

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(route.toBuilder().build()).isEqualTo(route);
    assertThat(route.toString()).contains("Fault{delay 5ms @50.0%, abort 503/UNAVAILABLE @10.0%}");
  }
}
