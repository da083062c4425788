package dev.meshwork.consul.internal;

import java.time.Duration;

/**
 * Go's {@code time.Duration} text, as Consul writes it in config entries ({@code "RequestTimeout":
 * "99s"}, {@code "1m30s"}, {@code "250ms"}) and reads it in the {@code wait} query parameter.
 */
public final class GoDuration {

  private GoDuration() {}

  /**
   * Parses a Go duration: a sequence of decimal numbers, each with a unit ({@code ns}, {@code us},
   * {@code µs}, {@code ms}, {@code s}, {@code m}, {@code h}), optionally signed; {@code "0"} alone
   * is zero.
   *
   * @throws IllegalArgumentException if {@code text} is not a Go duration
   */
  public static Duration parse(String text) {
    String s = text;
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw invalid(text);
    }
    long nanos = 0;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      if (start == i) {
        throw invalid(text);
      }
      double number;
      try {
        number = Double.parseDouble(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw invalid(text);
      }
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      long unit = unitNanos(s.substring(unitStart, i), text);
      double part = number * unit;
      if (part > Long.MAX_VALUE - nanos) {
        throw invalid(text);
      }
      nanos += (long) part;
    }
    return Duration.ofNanos(negative ? -nanos : nanos);
  }

  private static long unitNanos(String unit, String text) {
    switch (unit) {
      case "ns":
        return 1L;
      case "us":
      case "µs":
      case "μs":
        return 1_000L;
      case "ms":
        return 1_000_000L;
      case "s":
        return 1_000_000_000L;
      case "m":
        return 60_000_000_000L;
      case "h":
        return 3_600_000_000_000L;
      default:
        throw invalid(text);
    }
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "duration: \""
            + text
            + "\" (expected a Go duration such as \"5s\", \"1m30s\" or \"250ms\")");
  }

  /** Whole seconds as {@code "300s"}, anything finer as milliseconds ({@code "1500ms"}). */
  public static String format(Duration duration) {
    long millis = duration.toMillis();
    if (millis % 1000 == 0) {
      return millis / 1000 + "s";
    }
    return millis + "ms";
  }
}
