package dev.meshwork.consul.internal;

import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import dev.meshwork.SpiffeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Publishes Consul's endpoints with the identity each instance must present over mTLS, once the
 * Connect CA's trust domain is known: {@code spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<service>}
 * (with {@code /ap/<partition>} first for a non-default admin partition), the SPIFFE ID Consul's CA
 * puts in every leaf certificate it issues for the service. The namespace is the one queried
 * ({@code default} when none), the datacenter the instance's node's. Until the trust domain is
 * known, endpoints carry no identity; when it arrives or changes, every service's last endpoints
 * are published again with their identities.
 *
 * <p>Thread-safe: health answers arrive on several threads.
 */
final class EndpointIdentities {

  private final SourceContext context;
  private final @Nullable String datacenter;
  private final Map<ServiceName, List<Endpoint>> last = new HashMap<>();
  private @Nullable String trustDomain;

  /**
   * @param datacenter the datacenter the agent was told to query, used when an instance's node does
   *     not say its own
   */
  EndpointIdentities(SourceContext context, @Nullable String datacenter) {
    this.context = context;
    this.datacenter = datacenter;
  }

  /** Publishes {@code service}'s endpoints, with identities if the trust domain is known. */
  synchronized void publish(ServiceName service, List<Endpoint> endpoints) {
    last.put(service, endpoints);
    context.publishEndpoints(service, withIdentities(service, endpoints));
  }

  /** Records the Connect CA's trust domain and republishes what changes with it. */
  synchronized void trustDomain(String trustDomain) {
    if (trustDomain.equals(this.trustDomain)) {
      return;
    }
    this.trustDomain = trustDomain;
    last.forEach(
        (service, endpoints) ->
            context.publishEndpoints(service, withIdentities(service, endpoints)));
  }

  /** Forgets a service that is no longer watched. */
  synchronized void forget(ServiceName service) {
    last.remove(service);
  }

  private List<Endpoint> withIdentities(ServiceName service, List<Endpoint> endpoints) {
    String td = trustDomain;
    if (td == null) {
      return endpoints;
    }
    List<Endpoint> out = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      out.add(e.withIdentity(identity(td, service.name(), e)));
    }
    return List.copyOf(out);
  }

  /** The instance's SPIFFE ID, or null when its datacenter is unknown. */
  @Nullable String identity(String trustDomain, String service, Endpoint e) {
    String dc = e.label(EndpointLabels.DATACENTER);
    if (dc == null) {
      dc = datacenter;
    }
    if (dc == null) {
      return null;
    }
    String name = e.label(EndpointLabels.SERVICE);
    String ns = e.label(EndpointLabels.NAMESPACE);
    String partition = e.label(EndpointLabels.PARTITION);
    StringBuilder id = new StringBuilder("spiffe://").append(trustDomain);
    if (partition != null && !partition.equals("default")) {
      id.append("/ap/").append(partition);
    }
    id.append("/ns/")
        .append(ns == null ? "default" : ns)
        .append("/dc/")
        .append(dc)
        .append("/svc/")
        .append(name == null ? service : name);
    try {
      return SpiffeId.parse(id.toString()).toString();
    } catch (IllegalArgumentException notASpiffeId) {
      return null;
    }
  }
}
