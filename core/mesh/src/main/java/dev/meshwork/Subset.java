package dev.meshwork;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A named selection of a service's endpoints, such as Consul's service-resolver subsets or
 * "endpoints labelled {@code version=v2}". Backends refer to subsets by name.
 *
 * <p>Immutable; the selector must be a pure, thread-safe function of the endpoint.
 *
 * <pre>{@code
 * ServiceConfig web = ServiceConfig.builder("web")
 *     .subset(Subset.withLabels("v2", Map.of("version", "v2")))
 *     .build();
 * }</pre>
 */
public final class Subset {

  private final String name;
  private final String description;
  private final Predicate<Endpoint> selector;

  private Subset(String name, String description, Predicate<Endpoint> selector) {
    this.name = name;
    this.description = description;
    this.selector = selector;
  }

  /** Endpoints carrying every one of {@code labels}. */
  public static Subset withLabels(String name, Map<String, String> labels) {
    Map<String, String> copy = Map.copyOf(labels);
    return new Subset(
        checkName(name),
        new TreeMap<>(copy).toString(),
        e -> {
          for (Map.Entry<String, String> l : copy.entrySet()) {
            if (!l.getValue().equals(e.label(l.getKey()))) {
              return false;
            }
          }
          return true;
        });
  }

  /**
   * Endpoints accepted by {@code selector}; {@code description} says what it selects (for example
   * the Consul filter expression it was compiled from).
   */
  public static Subset matching(String name, String description, Predicate<Endpoint> selector) {
    return new Subset(
        checkName(name),
        Objects.requireNonNull(description, "description"),
        Objects.requireNonNull(selector, "selector"));
  }

  private static String checkName(String name) {
    if (Objects.requireNonNull(name, "name").isEmpty()) {
      throw new IllegalArgumentException("subset name: \"\" (expected a non-empty name)");
    }
    return name;
  }

  public String name() {
    return name;
  }

  public String description() {
    return description;
  }

  public boolean contains(Endpoint endpoint) {
    return selector.test(endpoint);
  }

  @Override
  public String toString() {
    return name + " " + description;
  }
}
