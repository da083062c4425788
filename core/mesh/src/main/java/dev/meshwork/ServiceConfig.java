package dev.meshwork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How calls to one service are handled: its ordered routes, its named subsets, and defaults for
 * timeout, retries and balancing. A request that no route takes goes to the service's own
 * endpoints, so a service with no config at all is simply load-balanced over its endpoints.
 *
 * <p>Immutable.
 *
 * <pre>{@code
 * ServiceConfig reviews = ServiceConfig.builder("reviews")
 *     .route(Route.to(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
 *     .timeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 */
public final class ServiceConfig {

  private final ServiceName service;
  private final List<Route> routes;
  private final Map<String, Subset> subsets;
  private final Map<String, List<Backend>> failover;
  private final @Nullable Duration timeout;
  private final @Nullable RetryPolicy retryPolicy;
  private final @Nullable Balancer balancer;
  private final String origin;

  private ServiceConfig(Builder b) {
    this.service = b.service;
    this.routes = List.copyOf(b.routes);
    this.subsets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.subsets));
    this.failover = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.failover));
    this.timeout = b.timeout;
    this.retryPolicy = b.retryPolicy;
    this.balancer = b.balancer;
    this.origin = b.origin;
  }

  /** A builder for {@code service}, parsed as by {@link ServiceName#parse(String)}. */
  public static Builder builder(String service) {
    return builder(ServiceName.parse(service));
  }

  public static Builder builder(ServiceName service) {
    return new Builder(Objects.requireNonNull(service, "service"));
  }

  public Builder toBuilder() {
    Builder b = new Builder(service);
    b.routes.addAll(routes);
    b.subsets.putAll(subsets);
    b.failover.putAll(failover);
    b.timeout = timeout;
    b.retryPolicy = retryPolicy;
    b.balancer = balancer;
    b.origin = origin;
    return b;
  }

  public ServiceName service() {
    return service;
  }

  /** Routes in match order. */
  public List<Route> routes() {
    return routes;
  }

  /** Subsets by name. */
  public Map<String, Subset> subsets() {
    return subsets;
  }

  /**
   * Where calls go when this service, or one of its subsets, has no endpoints: ordered targets by
   * subset name, {@link #ANY_SUBSET} for the service as a whole and every subset without its own
   * entry. The first target with endpoints takes the traffic (Consul's resolver failover).
   */
  public Map<String, List<Backend>> failover() {
    return failover;
  }

  /** The failover key that applies to the whole service and to subsets without their own. */
  public static final String ANY_SUBSET = "*";

  /** Default whole-call time limit, or null for none. */
  public @Nullable Duration timeout() {
    return timeout;
  }

  /** Default retry policy, or null for the mesh's. */
  public @Nullable RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** How to balance over this service's endpoints, or null for the mesh's default. */
  public @Nullable Balancer balancer() {
    return balancer;
  }

  public String origin() {
    return origin;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ServiceConfig)) {
      return false;
    }
    ServiceConfig c = (ServiceConfig) o;
    return service.equals(c.service)
        && routes.equals(c.routes)
        && subsets.keySet().equals(c.subsets.keySet())
        && failover.equals(c.failover)
        && Objects.equals(timeout, c.timeout)
        && Objects.equals(retryPolicy, c.retryPolicy)
        && Objects.equals(balancer, c.balancer)
        && origin.equals(c.origin);
  }

  @Override
  public int hashCode() {
    return Objects.hash(service, routes, subsets.keySet(), timeout, retryPolicy, origin);
  }

  @Override
  public String toString() {
    return "ServiceConfig{" + service + ", routes=" + routes + ", from " + origin + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final ServiceName service;
    private final List<Route> routes = new ArrayList<>();
    private final Map<String, Subset> subsets = new LinkedHashMap<>();
    private final Map<String, List<Backend>> failover = new LinkedHashMap<>();
    private @Nullable Duration timeout;
    private @Nullable RetryPolicy retryPolicy;
    private @Nullable Balancer balancer;
    private String origin = "programmatic";

    private Builder(ServiceName service) {
      this.service = service;
    }

    /** Appends a route; routes are tried in the order they were added. */
    public Builder route(Route route) {
      routes.add(Objects.requireNonNull(route, "route"));
      return this;
    }

    /** Replaces the routes. */
    public Builder routes(List<Route> routes) {
      this.routes.clear();
      routes.forEach(this::route);
      return this;
    }

    public Builder subset(Subset subset) {
      if (subsets.putIfAbsent(subset.name(), subset) != null) {
        throw new IllegalArgumentException(
            origin
                + ": "
                + service
                + " subsets: \""
                + subset.name()
                + "\" (expected unique names)");
      }
      return this;
    }

    /**
     * Sends calls for {@code subset} ({@link #ANY_SUBSET} for the service and subsets without an
     * entry of their own) to the first of {@code targets} that has endpoints, when the subset has
     * none. Target weights are ignored.
     */
    public Builder failover(String subset, List<Backend> targets) {
      if (targets.isEmpty()) {
        throw new IllegalArgumentException(
            origin + ": " + service + " failover[" + subset + "]: [] (expected targets)");
      }
      failover.put(Objects.requireNonNull(subset, "subset"), List.copyOf(targets));
      return this;
    }

    public Builder timeout(@Nullable Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException(
            service + " timeout: " + timeout + " (expected a positive duration)");
      }
      this.timeout = timeout;
      return this;
    }

    public Builder retryPolicy(@Nullable RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    public Builder balancer(@Nullable Balancer balancer) {
      this.balancer = balancer;
      return this;
    }

    public Builder origin(String origin) {
      this.origin = Objects.requireNonNull(origin, "origin");
      return this;
    }

    public ServiceConfig build() {
      return new ServiceConfig(this);
    }
  }
}
