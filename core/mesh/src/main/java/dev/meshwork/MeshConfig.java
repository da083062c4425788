package dev.meshwork;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Everything one {@link MeshSource} says about routing: a {@link ServiceConfig} per service it
 * configures. Endpoints travel separately (see {@link SourceContext#publishEndpoints}) because they
 * change far more often and must never recompile routes.
 *
 * <p>Immutable. A source publishes a whole new {@code MeshConfig} each time its view changes.
 *
 * <pre>{@code
 * MeshConfig config = MeshConfig.builder()
 *     .service(ServiceConfig.builder("reviews")
 *         .route(Route.to(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
 *         .build())
 *     .build();
 * }</pre>
 */
public final class MeshConfig {

  private static final MeshConfig EMPTY = new MeshConfig(Map.of());

  private final Map<ServiceName, ServiceConfig> services;

  private MeshConfig(Map<ServiceName, ServiceConfig> services) {
    this.services = services;
  }

  public static MeshConfig empty() {
    return EMPTY;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Per-service configuration, in the order the source gave it. */
  public Map<ServiceName, ServiceConfig> services() {
    return services;
  }

  public @Nullable ServiceConfig service(ServiceName name) {
    return services.get(name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MeshConfig && ((MeshConfig) o).services.equals(services);
  }

  @Override
  public int hashCode() {
    return services.hashCode();
  }

  @Override
  public String toString() {
    return "MeshConfig" + services.values();
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final Map<ServiceName, ServiceConfig> services = new LinkedHashMap<>();

    private Builder() {}

    /**
     * @throws IllegalArgumentException if the service was already added
     */
    public Builder service(ServiceConfig config) {
      ServiceConfig previous = services.putIfAbsent(config.service(), config);
      if (previous != null) {
        throw new IllegalArgumentException(
            config.origin()
                + ": service "
                + config.service()
                + " (expected one configuration per service; also configured by "
                + previous.origin()
                + ")");
      }
      return this;
    }

    public Builder services(Collection<ServiceConfig> configs) {
      configs.forEach(this::service);
      return this;
    }

    public MeshConfig build() {
      return services.isEmpty()
          ? EMPTY
          : new MeshConfig(Collections.unmodifiableMap(new LinkedHashMap<>(services)));
    }
  }
}
