package dev.meshwork;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration that was rejected. The message names where it came from (a file, a Kubernetes
 * resource, a Consul config entry), the field, the offending value and what was expected:
 *
 * <pre>
 * split.yaml: TrafficSplit default/reviews: spec.backends[1].weight: "-5" (expected a non-negative integer or quantity)
 * </pre>
 *
 * <p>The mesh keeps the last good configuration in force and reports the rejection to {@link
 * MeshListener#configRejected}. Sources construct it with {@link #of}.
 */
public final class ConfigException extends MeshException {

  private static final long serialVersionUID = 1L;

  private final String origin;
  private final String field;
  private final String value;
  private final String expected;

  private ConfigException(
      String origin, String field, String value, String expected, @Nullable Throwable cause) {
    super(format(origin, field, value, expected), cause);
    this.origin = origin;
    this.field = field;
    this.value = value;
    this.expected = expected;
  }

  /**
   * @param origin where the configuration came from, e.g. {@code split.yaml: TrafficSplit
   *     default/reviews}
   * @param field the path of the field, e.g. {@code spec.backends[1].weight}
   * @param value the offending value as written (quoted in the message when it is a string)
   * @param expected what would have been accepted
   */
  public static ConfigException of(String origin, String field, Object value, String expected) {
    return new ConfigException(
        Objects.requireNonNull(origin, "origin"),
        Objects.requireNonNull(field, "field"),
        render(value),
        Objects.requireNonNull(expected, "expected"),
        null);
  }

  /** As {@link #of}, keeping the parser's exception as the cause. */
  public static ConfigException of(
      String origin, String field, Object value, String expected, Throwable cause) {
    return new ConfigException(origin, field, render(value), expected, cause);
  }

  private static String render(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }

  private static String format(String origin, String field, String value, String expected) {
    return origin
        + ": "
        + (field.isEmpty() ? "" : field + ": ")
        + value
        + " (expected "
        + expected
        + ")";
  }

  public String origin() {
    return origin;
  }

  public String field() {
    return field;
  }

  /** The offending value as it appears in the message. */
  public String value() {
    return value;
  }

  public String expected() {
    return expected;
  }
}
