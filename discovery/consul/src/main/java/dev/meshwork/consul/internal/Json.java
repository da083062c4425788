package dev.meshwork.consul.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.meshwork.ConfigException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A position in a JSON document from Consul, with strict typed reads: a field that is absent or
 * {@code null} takes its default, unknown fields are ignored, and a field of the wrong type is a
 * {@link ConfigException} naming the document, the field's path ({@code
 * Routes[1].Destination.NumRetries}), the value and what was expected. Immutable.
 */
public final class Json {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    // Deeply nested input is as suspicious as huge input.
    MAPPER
        .getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
  }

  private final String origin;
  private final String path;
  private final JsonNode node;

  private Json(String origin, String path, JsonNode node) {
    this.origin = origin;
    this.path = path;
    this.node = node;
  }

  /**
   * Parses a whole body.
   *
   * @param origin names the document in errors, e.g. {@code consul /v1/config/service-router/web}
   */
  public static Json parse(String origin, RawBody body) {
    if (body.isOversize()) {
      throw ConfigException.of(
          origin,
          "",
          body.oversizeBytes() + " bytes",
          "a response of at most the configured maxResponseBytes; it was not read");
    }
    try {
      JsonNode node = MAPPER.readTree(body.bytes());
      if (node == null || node.isMissingNode()) {
        throw ConfigException.of(origin, "", "", "a JSON document (the body was empty)");
      }
      return new Json(origin, "", node);
    } catch (JsonProcessingException e) {
      throw ConfigException.of(
          origin, "", body.excerpt(), "valid JSON (" + e.getOriginalMessage() + ")", e);
    } catch (IOException e) {
      throw ConfigException.of(origin, "", body.excerpt(), "valid JSON", e);
    }
  }

  public String origin() {
    return origin;
  }

  public String path() {
    return path;
  }

  /** Absent or {@code null}. */
  public boolean isAbsent() {
    return node.isMissingNode() || node.isNull();
  }

  public Json field(String name) {
    JsonNode child = node.isObject() ? node.get(name) : null;
    return new Json(
        origin, path.isEmpty() ? name : path + "." + name, child == null ? missing() : child);
  }

  private static JsonNode missing() {
    return MissingNode.getInstance();
  }

  /** An error about this position. */
  public ConfigException error(String expected) {
    return ConfigException.of(origin, path, value(), expected);
  }

  private Object value() {
    return node.isTextual() ? node.textValue() : node.toString();
  }

  public Json requireObject() {
    if (!node.isObject()) {
      throw error("an object");
    }
    return this;
  }

  public String string(String name, String fallback) {
    Json f = field(name);
    if (f.isAbsent()) {
      return fallback;
    }
    if (!f.node.isTextual()) {
      throw f.error("a string");
    }
    return f.node.textValue();
  }

  public boolean bool(String name, boolean fallback) {
    Json f = field(name);
    if (f.isAbsent()) {
      return fallback;
    }
    if (!f.node.isBoolean()) {
      throw f.error("true or false");
    }
    return f.node.booleanValue();
  }

  /** A whole number in {@code min..max}. */
  public long integer(String name, long fallback, long min, long max) {
    Json f = field(name);
    if (f.isAbsent()) {
      return fallback;
    }
    return f.integerValue(min, max);
  }

  long integerValue(long min, long max) {
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw error("a whole number in " + min + ".." + max);
    }
    long v = node.longValue();
    if (v < min || v > max) {
      throw error("a whole number in " + min + ".." + max);
    }
    return v;
  }

  public double number(String name, double fallback) {
    Json f = field(name);
    if (f.isAbsent()) {
      return fallback;
    }
    if (!f.node.isNumber()) {
      throw f.error("a number");
    }
    return f.node.doubleValue();
  }

  /** A Go duration string such as {@code "15s"}; {@code fallback} when absent. */
  public @Nullable Duration duration(String name, @Nullable Duration fallback) {
    Json f = field(name);
    if (f.isAbsent()) {
      return fallback;
    }
    if (!f.node.isTextual()) {
      throw f.error("a duration string such as \"15s\"");
    }
    try {
      Duration d = GoDuration.parse(f.node.textValue());
      if (d.isNegative()) {
        throw f.error("a duration >= 0");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw f.error("a duration string such as \"15s\" or \"1m30s\"");
    }
  }

  /** The elements of an array field; absent is empty. */
  public List<Json> array(String name) {
    return field(name).elements();
  }

  /** The elements of this array; absent is empty. */
  public List<Json> elements() {
    if (isAbsent()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw error("an array");
    }
    List<Json> out = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      out.add(new Json(origin, path + "[" + i + "]", node.get(i)));
    }
    return out;
  }

  /** The members of an object field, in document order; absent is empty. */
  public Map<String, Json> object(String name) {
    return field(name).members();
  }

  public Map<String, Json> members() {
    if (isAbsent()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw error("an object");
    }
    Map<String, Json> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      out.put(e.getKey(), new Json(origin, p, e.getValue()));
    }
    return out;
  }

  public List<String> strings(String name) {
    List<String> out = new ArrayList<>();
    for (Json e : array(name)) {
      out.add(e.text());
    }
    return out;
  }

  public Map<String, String> stringMap(String name) {
    Map<String, String> out = new LinkedHashMap<>();
    object(name).forEach((k, v) -> out.put(k, v.text()));
    return out;
  }

  /** This position as a string. */
  public String text() {
    if (!node.isTextual()) {
      throw error("a string");
    }
    return node.textValue();
  }

  @Override
  public String toString() {
    return origin + ": " + path;
  }
}
