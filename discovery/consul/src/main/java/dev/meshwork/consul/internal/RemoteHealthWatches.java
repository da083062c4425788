package dev.meshwork.consul.internal;

import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The health watches of failover targets in other datacenters: one blocking watch of {@code
 * /v1/health/service/<name>?dc=<dc>} per (service, datacenter), through the local agent, with the
 * same rate limit, backoff, index rules and keep-the-last-good-answer behaviour as every other
 * watch. The instances are published as the mesh service {@link RemoteServices} names. Thread-safe.
 */
final class RemoteHealthWatches {

  private final SourceContext context;
  private final HealthFetcher health;
  private final ReportingWatches reporting;
  private final EndpointIdentities identities;
  private final Map<ServiceName, BlockingWatch<?, ?>> watches = new HashMap<>();
  private boolean closed;

  RemoteHealthWatches(
      SourceContext context,
      HealthFetcher health,
      ReportingWatches reporting,
      EndpointIdentities identities) {
    this.context = context;
    this.health = health;
    this.reporting = reporting;
    this.identities = identities;
  }

  /**
   * Starts a watch for every target in {@code wanted} not watched yet, and stops those no longer
   * wanted, removing their endpoints from the mesh.
   */
  synchronized void sync(Map<ServiceName, RemoteServices.Remote> wanted) {
    if (closed) {
      return;
    }
    for (Map.Entry<ServiceName, RemoteServices.Remote> e : wanted.entrySet()) {
      if (!watches.containsKey(e.getKey())) {
        ServiceName name = e.getKey();
        String service = e.getValue().service();
        String dc = e.getValue().datacenter();
        BlockingWatch<?, ?> w =
            reporting.watch(
                "health " + service + " dc " + dc,
                health.fetcher(service, dc),
                health.parser(service, dc),
                (List<Endpoint> endpoints) -> identities.publish(name, endpoints),
                error -> false);
        watches.put(name, w);
        w.start();
      }
    }
    for (ServiceName name : new ArrayList<>(watches.keySet())) {
      if (!wanted.containsKey(name)) {
        watches.remove(name).close();
        identities.forget(name);
        context.removeEndpoints(name);
      }
    }
  }

  /** The remote services watched now, by their mesh name. */
  synchronized Set<ServiceName> watched() {
    return Set.copyOf(watches.keySet());
  }

  synchronized void close() {
    closed = true;
    watches.values().forEach(BlockingWatch::close);
    watches.clear();
  }
}
