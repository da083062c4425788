package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.ConcurrencyLimit;
import dev.meshwork.ResponseClass;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConcurrencyLimitsTest {

  private static final long MS = 1_000_000;
  private final GateFixture f = new GateFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aFixedLimitAdmitsThatManyCallsAndNoMore() {
    ConcurrencyLimit limit = ConcurrencyLimits.fixed(2).create(f.service, f.mesh);

    assertThat(limit.tryAcquire()).isTrue();
    assertThat(limit.tryAcquire()).isTrue();
    assertThat(limit.tryAcquire()).isFalse();
    limit.release(ResponseClass.SUCCESS, MS);
    assertThat(limit.tryAcquire()).isTrue();
    assertThat(limit.inFlight()).isEqualTo(2);
    assertThatThrownBy(() -> ConcurrencyLimits.fixed(0))
        .hasMessage("fixed concurrency limit: 0 (expected >= 1)");
  }

  /** Runs {@code n} full-occupancy rounds: limit calls taken, all released with {@code rtt}. */
  private static void rounds(ConcurrencyLimit limit, int n, long rttNanos, ResponseClass result) {
    for (int r = 0; r < n; r++) {
      int taken = 0;
      while (limit.tryAcquire()) {
        taken++;
      }
      for (int i = 0; i < taken; i++) {
        limit.release(result, rttNanos);
      }
    }
  }

  @Test
  void anAdaptiveLimitGrowsWhileLatencyStaysAtItsBaseline() {
    ConcurrencyLimit limit = ConcurrencyLimits.adaptive().build().create(f.service, f.mesh);
    rounds(limit, 1, 10 * MS, ResponseClass.SUCCESS);

    rounds(limit, 10, 10 * MS, ResponseClass.SUCCESS);

    // One step per window of about a limit's worth of calls: 20, 27, 36, 45, 55, ...
    assertThat(limit.limit()).isGreaterThan(100);
  }

  @Test
  void anAdaptiveLimitShrinksWhenLatencyShowsAQueue() {
    ConcurrencyLimit limit =
        ConcurrencyLimits.adaptive().initialLimit(100).build().create(f.service, f.mesh);
    limit.tryAcquire();
    limit.release(ResponseClass.SUCCESS, 10 * MS); // the baseline

    rounds(limit, 3, 30 * MS, ResponseClass.SUCCESS);

    assertThat(limit.limit()).isLessThan(100);
  }

  @Test
  void anAdaptiveLimitShrinksOnFailuresAndIgnoresCancelledCalls() {
    ConcurrencyLimit limit =
        ConcurrencyLimits.adaptive().initialLimit(50).build().create(f.service, f.mesh);
    limit.tryAcquire();
    limit.release(ResponseClass.SUCCESS, 10 * MS);
    rounds(limit, 1, 10 * MS, ResponseClass.IGNORED);
    assertThat(limit.limit()).isEqualTo(50);

    rounds(limit, 1, 10 * MS, ResponseClass.FAILURE);

    assertThat(limit.limit()).isLessThan(50);
  }
}
