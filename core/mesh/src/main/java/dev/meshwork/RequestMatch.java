package dev.meshwork;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which requests a route (or an access rule) applies to: a path test, a set of methods, and header
 * and query parameter tests, all of which must pass. An empty match accepts every request.
 *
 * <p>Immutable and thread-safe; built once at configuration time, evaluated on every request.
 *
 * <pre>{@code
 * RequestMatch mobile = RequestMatch.builder()
 *     .path(StringMatch.prefix("/api/"))
 *     .methods("GET", "HEAD")
 *     .header("x-client", StringMatch.regex(".*iPhone.*"))
 *     .build();
 * }</pre>
 */
public final class RequestMatch {

  private static final RequestMatch ANY = new RequestMatch(null, Set.of(), List.of(), List.of());

  private final @Nullable StringMatch path;
  private final Set<String> methods;
  private final List<NamedMatch> headers;
  private final List<NamedMatch> queryParameters;

  private RequestMatch(
      @Nullable StringMatch path,
      Set<String> methods,
      List<NamedMatch> headers,
      List<NamedMatch> queryParameters) {
    this.path = path;
    this.methods = methods;
    this.headers = headers;
    this.queryParameters = queryParameters;
  }

  /** The match that accepts every request. */
  public static RequestMatch any() {
    return ANY;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether {@code request} passes every test. */
  public boolean matches(MeshRequest request) {
    if (!methods.isEmpty() && !methods.contains(request.method())) {
      return false;
    }
    if (path != null && !path.matches(request.path())) {
      return false;
    }
    for (int i = 0; i < headers.size(); i++) {
      NamedMatch h = headers.get(i);
      if (!h.match().matches(request.header(h.name()))) {
        return false;
      }
    }
    for (int i = 0; i < queryParameters.size(); i++) {
      NamedMatch q = queryParameters.get(i);
      if (!q.match().matches(request.queryParameter(q.name()))) {
        return false;
      }
    }
    return true;
  }

  /** The path test, or null for any path. */
  public @Nullable StringMatch path() {
    return path;
  }

  /** Upper-case methods; empty for any method. */
  public Set<String> methods() {
    return methods;
  }

  /** Header tests; names are lower case. */
  public List<NamedMatch> headers() {
    return headers;
  }

  public List<NamedMatch> queryParameters() {
    return queryParameters;
  }

  public boolean isAny() {
    return path == null && methods.isEmpty() && headers.isEmpty() && queryParameters.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RequestMatch)) {
      return false;
    }
    RequestMatch m = (RequestMatch) o;
    return Objects.equals(path, m.path)
        && methods.equals(m.methods)
        && headers.equals(m.headers)
        && queryParameters.equals(m.queryParameters);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, methods, headers, queryParameters);
  }

  @Override
  public String toString() {
    if (isAny()) {
      return "any request";
    }
    StringBuilder s = new StringBuilder();
    if (!methods.isEmpty()) {
      s.append(String.join("|", methods)).append(' ');
    }
    if (path != null) {
      s.append("path ").append(path).append(' ');
    }
    headers.forEach(h -> s.append("header ").append(h).append(' '));
    queryParameters.forEach(q -> s.append("query ").append(q).append(' '));
    return s.toString().trim();
  }

  /** A test on one named header or query parameter. */
  public static final class NamedMatch {
    private final String name;
    private final StringMatch match;

    NamedMatch(String name, StringMatch match) {
      this.name = name;
      this.match = match;
    }

    public String name() {
      return name;
    }

    public StringMatch match() {
      return match;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof NamedMatch
          && ((NamedMatch) o).name.equals(name)
          && ((NamedMatch) o).match.equals(match);
    }

    @Override
    public int hashCode() {
      return name.hashCode() * 31 + match.hashCode();
    }

    @Override
    public String toString() {
      return name + " " + match;
    }
  }

  /** Collects the tests of a {@link RequestMatch}; not thread-safe. */
  public static final class Builder {
    private @Nullable StringMatch path;
    private final Set<String> methods = new LinkedHashSet<>();
    private final List<NamedMatch> headers = new ArrayList<>();
    private final List<NamedMatch> queryParameters = new ArrayList<>();

    private Builder() {}

    public Builder path(StringMatch path) {
      this.path = Objects.requireNonNull(path, "path");
      return this;
    }

    /** Accepts any of {@code methods}; {@code *} means any method. */
    public Builder methods(String... methods) {
      for (String m : methods) {
        String upper = Objects.requireNonNull(m, "method").toUpperCase(Locale.ROOT);
        if (upper.equals("*")) {
          this.methods.clear();
          return this;
        }
        if (upper.isEmpty() || !upper.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
          throw new IllegalArgumentException("method: \"" + m + "\" (expected an HTTP method)");
        }
        this.methods.add(upper);
      }
      return this;
    }

    public Builder header(String name, StringMatch match) {
      headers.add(new NamedMatch(checkName(name).toLowerCase(Locale.ROOT), match));
      return this;
    }

    public Builder queryParameter(String name, StringMatch match) {
      queryParameters.add(new NamedMatch(checkName(name), match));
      return this;
    }

    private static String checkName(String name) {
      if (Objects.requireNonNull(name, "name").isEmpty()) {
        throw new IllegalArgumentException("header or query name: \"\" (expected a name)");
      }
      return name;
    }

    public RequestMatch build() {
      if (path == null && methods.isEmpty() && headers.isEmpty() && queryParameters.isEmpty()) {
        return ANY;
      }
      return new RequestMatch(
          path,
          java.util.Collections.unmodifiableSet(new LinkedHashSet<>(methods)),
          List.copyOf(headers),
          List.copyOf(queryParameters));
    }
  }
}
