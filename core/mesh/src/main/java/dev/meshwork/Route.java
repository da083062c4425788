package dev.meshwork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One rule of a service's routing table: which requests it takes ({@link RequestMatch}es, any of
 * which may match; none means every request), the weighted {@link Backend}s they are split across,
 * and optional per-route timeout and retry policy. Routes are tried in order and the first match
 * wins.
 *
 * <p>Every route remembers its {@linkplain #origin() origin} (a file and resource, a Consul config
 * entry, or "programmatic") for error messages and inspection. Immutable.
 *
 * <pre>{@code
 * Route canary = Route.builder()
 *     .name("canary-by-header")
 *     .match(RequestMatch.builder().header("x-canary", StringMatch.exact("1")).build())
 *     .backends(Backend.of("reviews-v2", 1))
 *     .timeout(Duration.ofMillis(500))
 *     .build();
 * }</pre>
 */
public final class Route {

  private final String name;
  private final List<RequestMatch> matches;
  private final List<Backend> backends;
  private final @Nullable Duration timeout;
  private final @Nullable RetryPolicy retryPolicy;
  private final HeaderModifier requestHeaders;
  private final @Nullable PathRewrite pathRewrite;
  private final @Nullable Fault fault;
  private final String origin;

  private Route(Builder b) {
    this.name = b.name;
    this.matches = List.copyOf(b.matches);
    this.backends = List.copyOf(b.backends);
    this.timeout = b.timeout;
    this.retryPolicy = b.retryPolicy;
    this.requestHeaders = b.requestHeaders;
    this.pathRewrite = b.pathRewrite;
    this.fault = b.fault;
    this.origin = b.origin;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A route taking every request to {@code backends}. */
  public static Route to(Backend... backends) {
    return builder().backends(backends).build();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.name = name;
    b.matches.addAll(matches);
    b.backends.addAll(backends);
    b.timeout = timeout;
    b.retryPolicy = retryPolicy;
    b.requestHeaders = requestHeaders;
    b.pathRewrite = pathRewrite;
    b.fault = fault;
    b.origin = origin;
    return b;
  }

  /** The route's name; empty when it was given none. */
  public String name() {
    return name;
  }

  /** Alternatives, any of which may match; empty for every request. */
  public List<RequestMatch> matches() {
    return matches;
  }

  public List<Backend> backends() {
    return backends;
  }

  /** The whole call's time limit on this route (all attempts), or null for the service's. */
  public @Nullable Duration timeout() {
    return timeout;
  }

  /** Retry policy on this route, or null for the service's. */
  public @Nullable RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** Header changes applied to every attempt of requests this route takes. */
  public HeaderModifier requestHeaders() {
    return requestHeaders;
  }

  /** How the path of requests this route takes is rewritten before sending, or null. */
  public @Nullable PathRewrite pathRewrite() {
    return pathRewrite;
  }

  /** Faults injected into attempts of requests this route takes (chaos testing), or null. */
  public @Nullable Fault fault() {
    return fault;
  }

  /** Where this route came from: a file and resource, a config entry, or "programmatic". */
  public String origin() {
    return origin;
  }

  /** Whether {@code request} is taken by this route. */
  public boolean matches(MeshRequest request) {
    if (matches.isEmpty()) {
      return true;
    }
    for (int i = 0; i < matches.size(); i++) {
      if (matches.get(i).matches(request)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the route takes every request. */
  public boolean matchesEverything() {
    if (matches.isEmpty()) {
      return true;
    }
    for (RequestMatch m : matches) {
      if (m.isAny()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Route)) {
      return false;
    }
    Route r = (Route) o;
    return name.equals(r.name)
        && matches.equals(r.matches)
        && backends.equals(r.backends)
        && Objects.equals(timeout, r.timeout)
        && Objects.equals(retryPolicy, r.retryPolicy)
        && requestHeaders.equals(r.requestHeaders)
        && Objects.equals(pathRewrite, r.pathRewrite)
        && Objects.equals(fault, r.fault)
        && origin.equals(r.origin);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        name, matches, backends, timeout, retryPolicy, requestHeaders, pathRewrite, fault, origin);
  }

  @Override
  public String toString() {
    return "Route{"
        + (name.isEmpty() ? "" : name + ": ")
        + (matches.isEmpty() ? "any request" : matches)
        + " -> "
        + backends
        + (timeout == null ? "" : ", timeout " + timeout.toMillis() + "ms")
        + (fault == null ? "" : ", " + fault)
        + ", from "
        + origin
        + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private String name = "";
    private final List<RequestMatch> matches = new ArrayList<>();
    private final List<Backend> backends = new ArrayList<>();
    private @Nullable Duration timeout;
    private @Nullable RetryPolicy retryPolicy;
    private HeaderModifier requestHeaders = HeaderModifier.none();
    private @Nullable PathRewrite pathRewrite;
    private @Nullable Fault fault;
    private String origin = "programmatic";

    private Builder() {}

    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /** Adds an alternative; a request matching any of them is taken. */
    public Builder match(RequestMatch match) {
      matches.add(Objects.requireNonNull(match, "match"));
      return this;
    }

    /** Replaces the backends. */
    public Builder backends(Backend... backends) {
      return backends(Arrays.asList(backends));
    }

    /** Replaces the backends. */
    public Builder backends(List<Backend> backends) {
      this.backends.clear();
      for (Backend b : backends) {
        this.backends.add(Objects.requireNonNull(b, "backend"));
      }
      return this;
    }

    public Builder timeout(@Nullable Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException(
            "route " + name + " timeout: " + timeout + " (expected a positive duration)");
      }
      this.timeout = timeout;
      return this;
    }

    public Builder retryPolicy(@Nullable RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    public Builder requestHeaders(HeaderModifier requestHeaders) {
      this.requestHeaders = Objects.requireNonNull(requestHeaders, "requestHeaders");
      return this;
    }

    public Builder pathRewrite(@Nullable PathRewrite pathRewrite) {
      this.pathRewrite = pathRewrite;
      return this;
    }

    /** Injects {@code fault} into attempts of requests this route takes; null for none. */
    public Builder fault(@Nullable Fault fault) {
      this.fault = fault;
      return this;
    }

    public Builder origin(String origin) {
      this.origin = Objects.requireNonNull(origin, "origin");
      return this;
    }

    /**
     * @throws IllegalArgumentException if there is no backend or every weight is 0
     */
    public Route build() {
      if (backends.isEmpty()) {
        throw new IllegalArgumentException(
            origin + ": route " + name + " backends: [] (expected at least one backend)");
      }
      long total = 0;
      for (Backend b : backends) {
        total += b.weight();
      }
      if (total <= 0) {
        throw new IllegalArgumentException(
            origin
                + ": route "
                + name
                + " backends: "
                + backends
                + " (expected at least one positive weight)");
      }
      return new Route(this);
    }
  }
}
