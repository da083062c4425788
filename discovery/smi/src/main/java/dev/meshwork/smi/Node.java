package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One value of a parsed YAML document together with where it is: the document's origin ({@code
 * split.yaml: TrafficSplit default/reviews}) and the field path inside it ({@code
 * spec.backends[1].weight}). Every accessor that finds the wrong shape throws a {@link
 * ConfigException} naming both, so parsers read like the schema they check. Immutable.
 */
final class Node {

  private static final int SHOWN_LIMIT = 80;

  private final String origin;
  private final String path;
  private final @Nullable Object value;

  Node(String origin, String path, @Nullable Object value) {
    this.origin = origin;
    this.path = path;
    this.value = value;
  }

  static Node root(String origin, @Nullable Object value) {
    return new Node(origin, "", value);
  }

  String origin() {
    return origin;
  }

  String path() {
    return path;
  }

  @Nullable Object value() {
    return value;
  }

  Node withOrigin(String origin) {
    return new Node(origin, path, value);
  }

  boolean isMissing() {
    return value == null;
  }

  boolean isMap() {
    return value instanceof Map;
  }

  boolean isList() {
    return value instanceof List;
  }

  boolean isScalar() {
    return value != null && !isMap() && !isList();
  }

  /** The named field of this mapping; a missing node if absent or if this node is missing. */
  Node get(String key) {
    String childPath = path.isEmpty() ? key : path + "." + key;
    if (value == null) {
      return new Node(origin, childPath, null);
    }
    if (!(value instanceof Map)) {
      throw error("a mapping");
    }
    return new Node(origin, childPath, ((Map<?, ?>) value).get(key));
  }

  /** The items of this list; empty if missing. */
  List<Node> items() {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List)) {
      throw error("a list");
    }
    List<?> list = (List<?>) value;
    List<Node> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      out.add(new Node(origin, path + "[" + i + "]", list.get(i)));
    }
    return out;
  }

  /** The fields of this mapping in document order; empty if missing. */
  Map<String, Node> fields() {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof Map)) {
      throw error("a mapping");
    }
    Map<String, Node> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
      String key = String.valueOf(e.getKey());
      out.put(key, new Node(origin, path.isEmpty() ? key : path + "." + key, e.getValue()));
    }
    return out;
  }

  /** A required non-empty string. */
  String text(String expected) {
    String s = optText(expected);
    if (s == null) {
      throw error(expected);
    }
    return s;
  }

  /** A string, or null when missing; numbers and booleans are taken as their text. */
  @Nullable String optText(String expected) {
    if (value == null) {
      return null;
    }
    if (value instanceof String) {
      String s = ((String) value).trim();
      if (s.isEmpty()) {
        throw error(expected);
      }
      return s;
    }
    if (isScalar()) {
      return String.valueOf(value);
    }
    throw error(expected);
  }

  /** A required integer within [min, max]. */
  int integer(int min, int max, String expected) {
    BigDecimal d = decimalOrNull();
    if (d == null) {
      throw error(expected);
    }
    try {
      int i = d.intValueExact();
      if (i < min || i > max) {
        throw error(expected);
      }
      return i;
    } catch (ArithmeticException e) {
      throw error(expected);
    }
  }

  private @Nullable BigDecimal decimalOrNull() {
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      return BigDecimal.valueOf(((Number) value).longValue());
    }
    if (value instanceof BigInteger) {
      return new BigDecimal((BigInteger) value);
    }
    if (value instanceof BigDecimal) {
      return (BigDecimal) value;
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    if (value instanceof String) {
      try {
        return new BigDecimal(((String) value).trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  /** A config error about this node's value. */
  ConfigException error(String expected) {
    return ConfigException.of(origin, path, shown(), expected);
  }

  /** A config error about this node's value, with the cause kept. */
  ConfigException error(String expected, Throwable cause) {
    return ConfigException.of(origin, path, shown(), expected, cause);
  }

  /** The value as messages show it: scalars as written, collections shortened. */
  Object shown() {
    if (value == null) {
      return new Shown("null");
    }
    if (value instanceof String || value instanceof Number || value instanceof Boolean) {
      return value;
    }
    String s = String.valueOf(value);
    return new Shown(s.length() > SHOWN_LIMIT ? s.substring(0, SHOWN_LIMIT) + "…" : s);
  }

  @Override
  public String toString() {
    return origin + ": " + path + " = " + value;
  }

  /** A value rendered without quotes in {@link ConfigException} messages. */
  private record Shown(String text) {
    @Override
    public String toString() {
      return text;
    }
  }
}
