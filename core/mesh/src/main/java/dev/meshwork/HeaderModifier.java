package dev.meshwork;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Request header changes a route applies before sending (Gateway API's {@code
 * RequestHeaderModifier}): set (replace), add (append), remove. Adapters apply them to every
 * attempt, in that order: remove, then set, then add. Header names are case-insensitive and kept in
 * lower case.
 *
 * <p>Immutable.
 *
 * <pre>{@code
 * HeaderModifier m = HeaderModifier.builder()
 *     .set("x-route", "canary")
 *     .remove("x-debug")
 *     .build();
 * Route route = Route.builder().backends(Backend.of("web-v2", 1)).requestHeaders(m).build();
 * }</pre>
 */
public final class HeaderModifier {

  private static final HeaderModifier NONE = new HeaderModifier(Map.of(), List.of(), Set.of());

  private final Map<String, String> set;
  private final List<Map.Entry<String, String>> add;
  private final Set<String> remove;

  private HeaderModifier(
      Map<String, String> set, List<Map.Entry<String, String>> add, Set<String> remove) {
    this.set = set;
    this.add = add;
    this.remove = remove;
  }

  /** No changes. */
  public static HeaderModifier none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Headers whose values are replaced (or created). */
  public Map<String, String> set() {
    return set;
  }

  /** Header values appended, in order; a name may repeat. */
  public List<Map.Entry<String, String>> add() {
    return add;
  }

  /** Headers removed before anything is set or added. */
  public Set<String> remove() {
    return remove;
  }

  public boolean isEmpty() {
    return set.isEmpty() && add.isEmpty() && remove.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HeaderModifier
        && ((HeaderModifier) o).set.equals(set)
        && ((HeaderModifier) o).add.equals(add)
        && ((HeaderModifier) o).remove.equals(remove);
  }

  @Override
  public int hashCode() {
    return Objects.hash(set, add, remove);
  }

  @Override
  public String toString() {
    return "HeaderModifier{set=" + set + ", add=" + add + ", remove=" + remove + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final Map<String, String> set = new LinkedHashMap<>();
    private final List<Map.Entry<String, String>> add = new ArrayList<>();
    private final Set<String> remove = new LinkedHashSet<>();

    private Builder() {}

    public Builder set(String name, String value) {
      set.put(name(name), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder add(String name, String value) {
      add.add(Map.entry(name(name), Objects.requireNonNull(value, "value")));
      return this;
    }

    public Builder remove(String name) {
      remove.add(name(name));
      return this;
    }

    private static String name(String name) {
      if (Objects.requireNonNull(name, "name").isEmpty()
          || !name.chars().allMatch(c -> c > ' ' && c < 127 && c != ':')) {
        throw new IllegalArgumentException(
            "header name: \"" + name + "\" (expected a non-empty token without ':' or spaces)");
      }
      return name.toLowerCase(Locale.ROOT);
    }

    public HeaderModifier build() {
      if (set.isEmpty() && add.isEmpty() && remove.isEmpty()) {
        return NONE;
      }
      return new HeaderModifier(
          java.util.Collections.unmodifiableMap(new LinkedHashMap<>(set)),
          List.copyOf(add),
          java.util.Collections.unmodifiableSet(new LinkedHashSet<>(remove)));
    }
  }
}
