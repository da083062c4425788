package dev.meshwork;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One weighted destination of a route: a service, optionally narrowed to a named {@link Subset} of
 * its endpoints. An SMI TrafficSplit splits across services ({@code reviews-v1}, {@code
 * reviews-v2}); a Consul service-splitter splits across subsets of one service; both become
 * backends.
 *
 * <p>Weights are relative: {@code 90} and {@code 10} send 90 % and 10 %; so do {@code 9} and {@code
 * 1}. A weight of 0 keeps the backend visible but sends it nothing. Immutable.
 *
 * <pre>{@code
 * Route canary = Route.builder()
 *     .backends(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10))
 *     .build();
 * }</pre>
 */
public final class Backend {

  private final ServiceName service;
  private final @Nullable String subset;
  private final int weight;

  private Backend(ServiceName service, @Nullable String subset, int weight) {
    this.service = service;
    this.subset = subset;
    this.weight = weight;
  }

  /** {@code service} (parsed as by {@link ServiceName#parse(String)}) with a relative weight. */
  public static Backend of(String service, int weight) {
    return of(ServiceName.parse(service), weight);
  }

  public static Backend of(ServiceName service, int weight) {
    Objects.requireNonNull(service, "service");
    if (weight < 0) {
      throw new IllegalArgumentException(
          "backend " + service + " weight: " + weight + " (expected >= 0)");
    }
    return new Backend(service, null, weight);
  }

  /** A copy narrowed to the named subset of the service's endpoints. */
  public Backend withSubset(@Nullable String subset) {
    return new Backend(service, subset, weight);
  }

  public Backend withWeight(int weight) {
    return of(service, weight).withSubset(subset);
  }

  public ServiceName service() {
    return service;
  }

  /** The subset's name, or null for all endpoints of the service. */
  public @Nullable String subset() {
    return subset;
  }

  public int weight() {
    return weight;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Backend)) {
      return false;
    }
    Backend b = (Backend) o;
    return weight == b.weight && service.equals(b.service) && Objects.equals(subset, b.subset);
  }

  @Override
  public int hashCode() {
    return Objects.hash(service, subset, weight);
  }

  /** {@code reviews.default} or {@code reviews.default/v2}, followed by {@code *weight}. */
  @Override
  public String toString() {
    return name() + "*" + weight;
  }

  /** {@code reviews.default} or {@code reviews.default/v2}: the backend without its weight. */
  public String name() {
    return subset == null ? service.toString() : service + "/" + subset;
  }
}
