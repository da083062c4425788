package dev.meshwork.consul.internal;

import dev.meshwork.ConfigException;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a service's instances in another datacenter appear in the mesh: as a service of their own,
 * named {@code <service>__<datacenter>} in the same namespace ({@code reviews__dc2.default}, and
 * {@code reviews__dc2.default/v1} for a subset in metrics and events), with the subsets and
 * balancer of the service's local resolver. Consul replicates config entries from the primary
 * datacenter, so the local resolver is the one the other datacenter uses too. The double underscore
 * cannot come from a DNS-compatible Consul service name, so it does not collide with a real
 * service.
 *
 * <p>One instance collects the remote services of one compilation. Not thread-safe.
 */
final class RemoteServices {

  /** Between the service's name and the datacenter's. */
  static final String SEPARATOR = "__";

  /** A service's instances in {@code datacenter}. */
  record Remote(String service, String datacenter) {}

  private final Map<String, ServiceResolver> resolvers;
  private final String namespace;
  private final Map<ServiceName, ServiceConfig> configs = new LinkedHashMap<>();
  private final Map<ServiceName, Remote> watched = new LinkedHashMap<>();

  /**
   * @param resolvers the local resolvers, by service
   * @param namespace the namespace the source watches
   */
  RemoteServices(Map<String, ServiceResolver> resolvers, String namespace) {
    this.resolvers = resolvers;
    this.namespace = namespace;
  }

  /** The mesh's name for {@code service}'s instances in {@code datacenter}. */
  static ServiceName name(ServiceName service, String datacenter) {
    return ServiceName.of(service.name() + SEPARATOR + datacenter, service.namespace());
  }

  /**
   * The mesh's name for {@code service}'s instances in {@code datacenter}, configured with the
   * subsets and balancer of the service's resolver so that a subset target resolves there too.
   *
   * @param at the failover entry naming the datacenter, for errors
   * @throws ConfigException when the datacenter's name cannot be part of a service name
   */
  ServiceName target(ServiceName service, String datacenter, Json at) {
    ServiceName name;
    try {
      name = name(service, datacenter);
    } catch (IllegalArgumentException e) {
      throw ConfigException.of(
          at.origin(),
          at.path(),
          datacenter,
          "a datacenter name of letters, digits, '-' or '_'",
          e);
    }
    if (!configs.containsKey(name)) {
      boolean local = service.namespace().equals(namespace);
      ServiceResolver resolver = local ? resolvers.get(service.name()) : null;
      ServiceConfig.Builder b =
          ServiceConfig.builder(name)
              .origin(
                  (resolver == null
                          ? "consul service " + service.name()
                          : "consul service-resolver " + service.name())
                      + " (datacenter "
                      + datacenter
                      + ")");
      if (resolver != null) {
        ResolverSettings.apply(resolver, b, (where, what) -> {}); // warned for the service itself
      }
      configs.put(name, b.build());
      if (local) {
        watched.put(name, new Remote(service.name(), datacenter));
      }
    }
    return name;
  }

  /** The configuration of every remote service named so far. */
  Collection<ServiceConfig> configs() {
    return configs.values();
  }

  /** The remote services of the watched namespace named so far, whose health must be watched. */
  Map<ServiceName, Remote> watched() {
    return Map.copyOf(watched);
  }
}
