package dev.meshwork.smi;

import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which Services of one namespace the mesh routes to, which of them have EndpointSlices that
 * changed, and what was last published for each, so that only changes are published and a Service
 * whose slices are all gone is removed. Not thread-safe: the Kubernetes source uses it under its
 * lock.
 */
final class ServiceEndpoints {

  private final String namespace;
  private final @Nullable String portName;
  private final Set<String> dirty = new HashSet<>();
  private final Map<ServiceName, List<Endpoint>> published = new HashMap<>();
  private Set<ServiceName> watched = Set.of();

  ServiceEndpoints(String namespace, @Nullable String portName) {
    this.namespace = namespace;
    this.portName = portName;
  }

  /** A slice of {@code service} was added, changed or deleted. */
  void changed(String service) {
    dirty.add(service);
  }

  /** The mesh now routes {@code services}; those of this namespace are watched. */
  void watch(Set<ServiceName> services) {
    Set<ServiceName> next = new HashSet<>();
    for (ServiceName s : services) {
      if (s.namespace().equals(namespace)) {
        next.add(s);
        if (!watched.contains(s)) {
          dirty.add(s.name());
        }
      }
    }
    watched = next;
  }

  /** Publishes the endpoints of every watched Service whose slices changed. */
  void publish(SourceContext ctx, Collection<EndpointSlice> slices) {
    for (String name : dirty) {
      ServiceName service = ServiceName.of(name, namespace);
      if (watched.contains(service)) {
        publish(ctx, service, slices);
      }
    }
    dirty.clear();
  }

  private void publish(SourceContext ctx, ServiceName service, Collection<EndpointSlice> slices) {
    List<EndpointSlice> mine = new ArrayList<>();
    for (EndpointSlice s : slices) {
      if (service.name().equals(EndpointSlices.service(s))) {
        mine.add(s);
      }
    }
    if (mine.isEmpty()) {
      if (published.remove(service) != null) {
        ctx.removeEndpoints(service);
      }
      return;
    }
    List<Endpoint> endpoints = EndpointSlices.endpoints(mine, portName);
    if (!endpoints.equals(published.get(service))) {
      published.put(service, endpoints);
      ctx.publishEndpoints(service, endpoints);
    }
  }
}
