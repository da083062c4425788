package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TimeoutHeaderTest {

  @Test
  void encodesInTheMostPreciseUnitThatFitsEightDigits() {
    assertThat(TimeoutHeader.encode(99_999_999L)).isEqualTo("99999999n");
    assertThat(TimeoutHeader.encode(250_000_000L)).isEqualTo("250000u");
    assertThat(TimeoutHeader.encode(3_600_000_000_000L)).isEqualTo("3600000m");
    assertThat(TimeoutHeader.encode(0)).isEqualTo("1n");
    assertThat(TimeoutHeader.encode(Long.MAX_VALUE)).endsWith("H");
  }

  @Test
  void decodesEveryUnitOfTheGrpcSyntax() {
    assertThat(TimeoutHeader.decodeNanos("250m")).isEqualTo(250_000_000L);
    assertThat(TimeoutHeader.decodeNanos("3S")).isEqualTo(3_000_000_000L);
    assertThat(TimeoutHeader.decodeNanos("2M")).isEqualTo(120_000_000_000L);
    assertThat(TimeoutHeader.decodeNanos("1H")).isEqualTo(3_600_000_000_000L);
    assertThat(TimeoutHeader.decodeNanos("7u")).isEqualTo(7_000L);
    assertThat(TimeoutHeader.decodeNanos("9n")).isEqualTo(9L);
  }

  @Test
  void roundTripNeverLengthensTheTimeBelowTheUnit() {
    for (long nanos : new long[] {1, 999, 123_456_789L, 10_000_000_000L, 987_654_321_000L}) {
      long decoded = TimeoutHeader.decodeNanos(TimeoutHeader.encode(nanos));
      assertThat(decoded).isGreaterThanOrEqualTo(nanos);
      assertThat(decoded - nanos).isLessThan(Math.max(nanos / 10_000_000, 1_000_000_000L));
    }
  }

  @Test
  void rejectsMalformedValuesNamingThem() {
    for (String bad : new String[] {"", "m", "123456789m", "12x", "-5m", "5 m"}) {
      assertThatThrownBy(() -> TimeoutHeader.decodeNanos(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "meshwork-timeout: \""
                  + bad
                  + "\" (expected 1-8 digits followed by H, M, S, m, u or"
                  + " n)");
    }
  }
}
