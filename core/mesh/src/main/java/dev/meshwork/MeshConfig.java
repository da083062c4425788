package dev.meshwork;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything one {@link MeshSource} says about routing and access: a {@link ServiceConfig} per
 * service it configures, and {@link AccessRule}s for servers to enforce. Endpoints travel
 * separately (see {@link SourceContext#publishEndpoints}) because they change far more often and
 * must never recompile routes.
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

  private static final MeshConfig EMPTY = new MeshConfig(Map.of(), List.of());

  private final Map<ServiceName, ServiceConfig> services;
  private final List<AccessRule> accessRules;

  private MeshConfig(Map<ServiceName, ServiceConfig> services, List<AccessRule> accessRules) {
    this.services = services;
    this.accessRules = accessRules;
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

  /** Access rules, in the order the source gave them. */
  public List<AccessRule> accessRules() {
    return accessRules;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MeshConfig
        && ((MeshConfig) o).services.equals(services)
        && ((MeshConfig) o).accessRules.equals(accessRules);
  }

  @Override
  public int hashCode() {
    return services.hashCode() * 31 + accessRules.hashCode();
  }

  @Override
  public String toString() {
    return "MeshConfig" + services.values() + (accessRules.isEmpty() ? "" : " " + accessRules);
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final Map<ServiceName, ServiceConfig> services = new LinkedHashMap<>();
    private final List<AccessRule> accessRules = new ArrayList<>();

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

    public Builder accessRule(AccessRule rule) {
      accessRules.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    public Builder accessRules(Collection<AccessRule> rules) {
      rules.forEach(this::accessRule);
      return this;
    }

    public MeshConfig build() {
      if (services.isEmpty() && accessRules.isEmpty()) {
        return EMPTY;
      }
      return new MeshConfig(
          Collections.unmodifiableMap(new LinkedHashMap<>(services)), List.copyOf(accessRules));
    }
  }
}
