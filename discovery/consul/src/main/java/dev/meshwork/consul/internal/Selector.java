package dev.meshwork.consul.internal;

import com.google.re2j.Pattern;
import dev.meshwork.Endpoint;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A go-bexpr selector over a health entry, read back from the labels {@link HealthEndpoints} put on
 * each endpoint: a single value ({@code Service.Meta.version}, {@code Node.Datacenter}) or a
 * collection ({@code Service.Tags}, {@code Service.Meta}).
 */
abstract class Selector {

  static Selector parse(String selector) {
    switch (selector) {
      case "Service.Tags":
        return new Keys(EndpointLabels.TAG_PREFIX);
      case "Service.Meta":
        return new Keys("");
      case "Node.Meta":
        return new Keys(EndpointLabels.NODE_META_PREFIX);
      case "Service.ID":
        return new Value(e -> e.label(EndpointLabels.SERVICE_ID));
      case "Service.Service":
        return new Value(e -> e.label(EndpointLabels.SERVICE));
      case "Service.Port":
        return new Value(e -> Integer.toString(e.port()));
      case "Node.Node":
        return new Value(e -> e.label(EndpointLabels.NODE));
      case "Node.Datacenter":
        return new Value(e -> e.label(EndpointLabels.DATACENTER));
      default:
        if (selector.startsWith("Service.Meta.") && selector.length() > 13) {
          String key = selector.substring(13);
          return new Value(e -> EndpointLabels.isMetaKey(key) ? e.label(key) : null);
        }
        if (selector.startsWith("Node.Meta.") && selector.length() > 10) {
          String key = EndpointLabels.NODE_META_PREFIX + selector.substring(10);
          return new Value(e -> e.label(key));
        }
        throw new IllegalArgumentException("unsupported selector " + selector);
    }
  }

  abstract Predicate<Endpoint> equalTo(String value);

  abstract Predicate<Endpoint> contains(String value);

  abstract Predicate<Endpoint> matches(Pattern regex);

  abstract Predicate<Endpoint> empty();

  /** One value per endpoint; a missing value equals nothing. */
  private static final class Value extends Selector {
    private final Function<Endpoint, @Nullable String> read;

    Value(Function<Endpoint, @Nullable String> read) {
      this.read = read;
    }

    @Override
    Predicate<Endpoint> equalTo(String value) {
      return e -> value.equals(read.apply(e));
    }

    @Override
    Predicate<Endpoint> contains(String value) {
      return e -> {
        String v = read.apply(e);
        return v != null && v.contains(value);
      };
    }

    @Override
    Predicate<Endpoint> matches(Pattern regex) {
      return e -> {
        String v = read.apply(e);
        return v != null && regex.matcher(v).find();
      };
    }

    @Override
    Predicate<Endpoint> empty() {
      return e -> {
        String v = read.apply(e);
        return v == null || v.isEmpty();
      };
    }
  }

  /** A collection: the tags, or the keys of a meta map, stored as label keys with a prefix. */
  private static final class Keys extends Selector {
    private final String prefix;

    Keys(String prefix) {
      this.prefix = prefix;
    }

    private boolean mine(String label) {
      return prefix.isEmpty() ? EndpointLabels.isMetaKey(label) : label.startsWith(prefix);
    }

    @Override
    Predicate<Endpoint> equalTo(String value) {
      throw new IllegalArgumentException("== on a collection; use in or contains");
    }

    @Override
    Predicate<Endpoint> contains(String value) {
      String key = prefix + value;
      return e -> e.labels().containsKey(key) && mine(key);
    }

    @Override
    Predicate<Endpoint> matches(Pattern regex) {
      throw new IllegalArgumentException("matches on a collection");
    }

    @Override
    Predicate<Endpoint> empty() {
      return e -> e.labels().keySet().stream().noneMatch(this::mine);
    }
  }
}
