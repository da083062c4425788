package dev.meshwork.smi;

import dev.meshwork.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Turns a Service's {@code discovery.k8s.io/v1} EndpointSlices into endpoints: one per address of
 * every ready endpoint (a missing condition counts as ready, as the API says), at the Service port
 * chosen by name, with labels {@code zone}, {@code node} and {@code pod}. When no endpoint is
 * ready, the serving ones (for example terminating pods still answering) are used instead, as
 * kube-proxy does. Stateless.
 */
final class EndpointSlices {

  /** The label EndpointSlices carry to name their Service. */
  static final String SERVICE_LABEL = "kubernetes.io/service-name";

  /** The endpoint label naming the pod behind an address. */
  static final String POD_LABEL = "pod";

  private EndpointSlices() {}

  static @Nullable String service(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    return labels == null ? null : labels.get(SERVICE_LABEL);
  }

  static List<Endpoint> endpoints(Collection<EndpointSlice> slices, @Nullable String portName) {
    Map<String, Endpoint> ready = new LinkedHashMap<>();
    Map<String, Endpoint> serving = new LinkedHashMap<>();
    for (EndpointSlice slice : slices) {
      Integer port = port(slice.getPorts(), portName);
      if (port == null || slice.getEndpoints() == null) {
        continue;
      }
      for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : slice.getEndpoints()) {
        EndpointConditions c = e.getConditions();
        boolean isReady = c == null || c.getReady() == null || c.getReady();
        boolean isServing = c == null || c.getServing() == null ? isReady : c.getServing();
        if (!isReady && !isServing) {
          continue;
        }
        for (String address : e.getAddresses() == null ? List.<String>of() : e.getAddresses()) {
          Endpoint endpoint;
          try {
            endpoint = Endpoint.of(address, port).withLabels(labels(e));
          } catch (IllegalArgumentException invalid) {
            continue;
          }
          (isReady ? ready : serving).putIfAbsent(endpoint.authority(), endpoint);
        }
      }
    }
    return List.copyOf((ready.isEmpty() ? serving : ready).values());
  }

  private static Map<String, String> labels(
      io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (e.getZone() != null) {
      labels.put("zone", e.getZone());
    }
    if (e.getNodeName() != null) {
      labels.put("node", e.getNodeName());
    }
    if (e.getTargetRef() != null
        && "Pod".equals(e.getTargetRef().getKind())
        && e.getTargetRef().getName() != null) {
      labels.put(POD_LABEL, e.getTargetRef().getName());
    }
    return labels;
  }

  /** The named port; else the only one; else the one named http or grpc; else the first. */
  private static @Nullable Integer port(@Nullable List<EndpointPort> ports, @Nullable String name) {
    if (ports == null || ports.isEmpty()) {
      return null;
    }
    List<EndpointPort> valid = new ArrayList<>();
    for (EndpointPort p : ports) {
      if (p.getPort() != null && (p.getProtocol() == null || p.getProtocol().equals("TCP"))) {
        valid.add(p);
      }
    }
    if (name != null) {
      return valid.stream()
          .filter(p -> name.equals(p.getName()))
          .map(EndpointPort::getPort)
          .findFirst()
          .orElse(null);
    }
    if (valid.size() == 1) {
      return valid.get(0).getPort();
    }
    for (String preferred : List.of("http", "grpc")) {
      for (EndpointPort p : valid) {
        if (preferred.equals(p.getName())) {
          return p.getPort();
        }
      }
    }
    return valid.isEmpty() ? null : valid.get(0).getPort();
  }
}
