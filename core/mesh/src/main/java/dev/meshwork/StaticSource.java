package dev.meshwork;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration written in code: services, routes, splits and endpoints that do not change. The
 * first and simplest {@link MeshSource}; also handy in tests and demos.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(StaticSource.builder()
 *         .endpoints("reviews-v1", Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080))
 *         .endpoints("reviews-v2", Endpoint.of("10.0.0.3", 8080))
 *         .service(ServiceConfig.builder("reviews")
 *             .route(Route.to(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
 *             .build())
 *         .build())
 *     .build();
 * }</pre>
 */
public final class StaticSource implements MeshSource {

  private final MeshConfig config;
  private final Map<ServiceName, List<Endpoint>> endpoints;

  private StaticSource(MeshConfig config, Map<ServiceName, List<Endpoint>> endpoints) {
    this.config = config;
    this.endpoints = endpoints;
  }

  public static Builder builder() {
    return new Builder();
  }

  public MeshConfig config() {
    return config;
  }

  public Map<ServiceName, List<Endpoint>> endpoints() {
    return endpoints;
  }

  @Override
  public String name() {
    return "static";
  }

  @Override
  public void start(SourceContext context) {
    context.publishConfig(config);
    endpoints.forEach(context::publishEndpoints);
    context.ready();
  }

  @Override
  public String toString() {
    return "StaticSource{" + config.services().keySet() + ", endpoints=" + endpoints + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final MeshConfig.Builder config = MeshConfig.builder();
    private final Map<ServiceName, List<Endpoint>> endpoints = new LinkedHashMap<>();

    private Builder() {}

    public Builder service(ServiceConfig service) {
      config.service(service);
      return this;
    }

    /** Adds endpoints to {@code service}, parsed as by {@link ServiceName#parse(String)}. */
    public Builder endpoints(String service, Endpoint... endpoints) {
      return endpoints(ServiceName.parse(service), Arrays.asList(endpoints));
    }

    public Builder endpoints(ServiceName service, List<Endpoint> endpoints) {
      this.endpoints.computeIfAbsent(service, s -> new ArrayList<>()).addAll(endpoints);
      return this;
    }

    public StaticSource build() {
      Map<ServiceName, List<Endpoint>> copy = new LinkedHashMap<>();
      endpoints.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      return new StaticSource(config.build(), java.util.Collections.unmodifiableMap(copy));
    }
  }
}
