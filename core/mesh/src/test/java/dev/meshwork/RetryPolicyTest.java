package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private final Random random = new Random(7);
  private final RandomSource source =
      new RandomSource() {
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
      };

  @Test
  void defaultsRetryGatewayErrorsAndUnavailable() {
    RetryPolicy p = RetryPolicy.defaults();
    assertThat(p.maxAttempts()).isEqualTo(3);
    assertThat(p.retriesHttpStatus(503)).isTrue();
    assertThat(p.retriesHttpStatus(500)).isFalse();
    assertThat(p.retriesGrpcCode(14)).isTrue();
    assertThat(p.retriesGrpcCode(13)).isFalse();
  }

  @Test
  void backoffDoublesUpToTheMaximumWithFullJitter() {
    RetryPolicy p =
        RetryPolicy.builder().backoff(Duration.ofMillis(10), Duration.ofMillis(35)).build();
    long maxFirst = 0;
    long maxThird = 0;
    for (int i = 0; i < 2_000; i++) {
      maxFirst = Math.max(maxFirst, p.backoffNanos(1, source));
      maxThird = Math.max(maxThird, p.backoffNanos(3, source));
      assertThat(p.backoffNanos(30, source)).isBetween(0L, 35_000_000L);
    }
    assertThat(maxFirst).isBetween(9_000_000L, 10_000_000L);
    assertThat(maxThird).isBetween(30_000_000L, 35_000_000L);
  }

  @Test
  void invalidSettingsNameTheValue() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
        .hasMessage("retry maxAttempts: 0 (expected 1..100)");
    assertThatThrownBy(() -> RetryPolicy.builder().retryHttpStatuses(700))
        .hasMessage("retry HTTP status: 700 (expected 100..599)");
  }

  @Test
  void classifierSeparatesServerFaultsFromClientFaults() {
    ResponseClassifier c = ResponseClassifier.defaults();
    RetryPolicy p = RetryPolicy.defaults();
    assertThat(c.classifyHttp(404, p)).isEqualTo(ResponseClass.SUCCESS);
    assertThat(c.classifyHttp(500, p)).isEqualTo(ResponseClass.FAILURE);
    assertThat(c.classifyHttp(503, p)).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
    assertThat(c.classifyGrpc(5, p)).isEqualTo(ResponseClass.SUCCESS); // NOT_FOUND
    assertThat(c.classifyGrpc(1, p)).isEqualTo(ResponseClass.IGNORED); // CANCELLED
    assertThat(c.classifyGrpc(14, p)).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
    assertThat(c.classifyError(new java.net.ConnectException(), true, p))
        .isEqualTo(ResponseClass.RETRYABLE_FAILURE);
    assertThat(c.classifyError(new java.net.SocketTimeoutException(), false, p))
        .isEqualTo(ResponseClass.FAILURE);
  }
}
