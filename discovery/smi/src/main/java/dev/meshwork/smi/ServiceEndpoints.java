package dev.meshwork.smi;

import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import dev.meshwork.SpiffeId;
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
 * whose slices are all gone is removed. With a trust domain, each endpoint whose pod is known
 * carries its workload identity, {@code spiffe://<trust-domain>/ns/<ns>/sa/<service-account>}. Not
 * thread-safe: the Kubernetes source uses it under its lock.
 */
final class ServiceEndpoints {

  private final String namespace;
  private final @Nullable String portName;
  private final @Nullable String trustDomain;
  private final Set<String> dirty = new HashSet<>();
  private final Map<ServiceName, List<Endpoint>> published = new HashMap<>();
  private Set<ServiceName> watched = Set.of();

  /**
   * @param trustDomain the SPIFFE trust domain of endpoint identities, or null for none
   */
  ServiceEndpoints(String namespace, @Nullable String portName, @Nullable String trustDomain) {
    this.namespace = namespace;
    this.portName = portName;
    this.trustDomain = trustDomain;
  }

  /** A slice of {@code service} was added, changed or deleted. */
  void changed(String service) {
    dirty.add(service);
  }

  /** Pods came or went: any watched Service's endpoints may now have another identity. */
  void allChanged() {
    watched.forEach(s -> dirty.add(s.name()));
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

  /**
   * Publishes the endpoints of every watched Service whose slices changed.
   *
   * @param pods the pods' service accounts, or null when they are not known
   */
  void publish(
      SourceContext ctx, Collection<EndpointSlice> slices, @Nullable PodServiceAccounts pods) {
    for (String name : dirty) {
      ServiceName service = ServiceName.of(name, namespace);
      if (watched.contains(service)) {
        publish(ctx, service, slices, pods);
      }
    }
    dirty.clear();
  }

  private void publish(
      SourceContext ctx,
      ServiceName service,
      Collection<EndpointSlice> slices,
      @Nullable PodServiceAccounts pods) {
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
    List<Endpoint> endpoints = withIdentities(EndpointSlices.endpoints(mine, portName), pods);
    if (!endpoints.equals(published.get(service))) {
      published.put(service, endpoints);
      ctx.publishEndpoints(service, endpoints);
    }
  }

  private List<Endpoint> withIdentities(
      List<Endpoint> endpoints, @Nullable PodServiceAccounts pods) {
    if (trustDomain == null || pods == null) {
      return endpoints;
    }
    List<Endpoint> out = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      String pod = e.label(EndpointSlices.POD_LABEL);
      String sa = pod == null ? null : pods.serviceAccount(namespace, pod);
      out.add(sa == null ? e : e.withIdentity(identity(trustDomain, sa)));
    }
    return List.copyOf(out);
  }

  private @Nullable String identity(String trustDomain, String serviceAccount) {
    try {
      return SpiffeId.kubernetes(trustDomain, namespace, serviceAccount).toString();
    } catch (IllegalArgumentException notASpiffeId) {
      return null;
    }
  }
}
