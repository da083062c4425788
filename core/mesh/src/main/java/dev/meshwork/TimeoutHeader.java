package dev.meshwork;

/**
 * The HTTP header that carries a call's remaining time to the next hop, in gRPC's timeout syntax
 * (up to eight digits and a unit: {@code H}, {@code M}, {@code S}, {@code m}, {@code u}, {@code
 * n}). Remaining time rather than an absolute instant, so that clock skew between hosts does not
 * matter. gRPC calls use gRPC's own {@code grpc-timeout} header, in the same syntax.
 *
 * <pre>{@code
 * TimeoutHeader.encode(250_000_000L);   // "250000u"
 * TimeoutHeader.decodeNanos("250m");    // 250_000_000
 * }</pre>
 */
public final class TimeoutHeader {

  /** The header's name, as written on outbound calls and read by inbound filters. */
  public static final String NAME = "meshwork-timeout";

  private static final long MAX_VALUE = 99_999_999L;

  private TimeoutHeader() {}

  /** {@code nanos} (clamped to at least 1 ns) in the most precise unit that fits eight digits. */
  public static String encode(long nanos) {
    long n = Math.max(nanos, 1);
    if (n <= MAX_VALUE) {
      return n + "n";
    }
    long us = ceilDiv(n, 1_000);
    if (us <= MAX_VALUE) {
      return us + "u";
    }
    long ms = ceilDiv(n, 1_000_000);
    if (ms <= MAX_VALUE) {
      return ms + "m";
    }
    long s = ceilDiv(n, 1_000_000_000);
    if (s <= MAX_VALUE) {
      return s + "S";
    }
    long m = ceilDiv(s, 60);
    return m <= MAX_VALUE ? m + "M" : Math.min(ceilDiv(m, 60), MAX_VALUE) + "H";
  }

  /**
   * Parses a header value.
   *
   * @throws IllegalArgumentException naming the value if it is not 1-8 digits and a unit
   */
  public static long decodeNanos(String value) {
    int len = value.length();
    if (len < 2 || len > 9) {
      throw invalid(value);
    }
    long amount = 0;
    for (int i = 0; i < len - 1; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        throw invalid(value);
      }
      amount = amount * 10 + (c - '0');
    }
    switch (value.charAt(len - 1)) {
      case 'n':
        return amount;
      case 'u':
        return amount * 1_000L;
      case 'm':
        return amount * 1_000_000L;
      case 'S':
        return amount * 1_000_000_000L;
      case 'M':
        return amount * 60_000_000_000L;
      case 'H':
        return amount * 3_600_000_000_000L;
      default:
        throw invalid(value);
    }
  }

  private static long ceilDiv(long a, long b) {
    return a / b + (a % b == 0 ? 0 : 1);
  }

  private static IllegalArgumentException invalid(String value) {
    return new IllegalArgumentException(
        NAME + ": \"" + value + "\" (expected 1-8 digits followed by H, M, S, m, u or n)");
  }
}
