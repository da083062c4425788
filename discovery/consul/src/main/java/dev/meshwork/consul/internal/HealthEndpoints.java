package dev.meshwork.consul.internal;

import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.kiwiproject.consul.model.catalog.ServiceWeights;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.kiwiproject.consul.model.health.Node;
import org.kiwiproject.consul.model.health.Service;
import org.kiwiproject.consul.model.health.ServiceHealth;

/**
 * Turns {@code /v1/health/service/<name>} entries into endpoints with Consul's own weight rule (its
 * Envoy endpoint logic): start from {@code Weights.Passing} (1 without weights); any check in
 * {@code warning} uses {@code Weights.Warning}; any check in {@code critical} (or another state,
 * such as maintenance) leaves the instance out, and so does a weight below 1; weights are capped at
 * 128. Node-level checks count. An empty {@code Service.Address} means the node's address.
 */
public final class HealthEndpoints {

  static final int MAX_WEIGHT = 128;

  private HealthEndpoints() {}

  /**
   * @param origin the Consul path, for errors
   * @param namespace the namespace queried, or null
   * @param partition the partition queried, or null
   */
  public static List<Endpoint> toEndpoints(
      List<ServiceHealth> entries,
      String origin,
      @Nullable String namespace,
      @Nullable String partition) {
    List<Endpoint> out = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      ServiceHealth entry = entries.get(i);
      Service service = entry.getService();
      Node node = entry.getNode();
      String state = worstState(entry.getChecks());
      if (!state.equals("passing") && !state.equals("warning")) {
        continue;
      }
      int weight = weight(service.getWeights().orElse(null), state);
      if (weight < 1) {
        continue;
      }
      String host = service.getAddress();
      String field = "[" + i + "].Service.Address";
      if (host == null || host.isEmpty()) {
        host = node.getAddress();
        field = "[" + i + "].Node.Address";
      }
      if (host == null || host.isEmpty()) {
        throw ConfigException.of(origin, field, "", "an IP address or host name");
      }
      if (service.getPort() < 1 || service.getPort() > 65535) {
        throw ConfigException.of(origin, "[" + i + "].Service.Port", service.getPort(), "1..65535");
      }
      Endpoint e;
      try {
        e = Endpoint.of(host, service.getPort());
      } catch (IllegalArgumentException ex) {
        throw ConfigException.of(origin, field, host, "an IP address or host name", ex);
      }
      out.add(
          e.withWeight(Math.min(weight, MAX_WEIGHT))
              .withLabels(labels(service, node, state, namespace, partition)));
    }
    return List.copyOf(out);
  }

  static int weight(@Nullable ServiceWeights weights, String state) {
    if (weights == null) {
      return 1;
    }
    return state.equals("warning") ? weights.getWarning() : weights.getPassing();
  }

  /**
   * {@code critical} beats {@code warning} beats {@code passing}; unknown states count as critical.
   */
  static String worstState(List<HealthCheck> checks) {
    String worst = "passing";
    for (HealthCheck c : checks) {
      String s = c.getStatus() == null ? "critical" : c.getStatus();
      if (s.equals("passing")) {
        continue;
      }
      if (s.equals("warning")) {
        worst = worst.equals("passing") ? "warning" : worst;
      } else {
        return "critical";
      }
    }
    return worst;
  }

  private static Map<String, String> labels(
      Service service,
      Node node,
      String state,
      @Nullable String namespace,
      @Nullable String partition) {
    Map<String, String> labels = new TreeMap<>();
    Map<String, String> meta = service.getMeta();
    if (meta != null) {
      meta.forEach(
          (k, v) -> {
            if (k != null && EndpointLabels.isMetaKey(k) && !k.isEmpty()) {
              labels.put(k, v == null ? "" : v);
            }
          });
    }
    for (String tag : service.getTags()) {
      if (tag != null) {
        labels.put(EndpointLabels.TAG_PREFIX + tag, "true");
      }
    }
    node.getNodeMeta()
        .ifPresent(
            m ->
                m.forEach(
                    (k, v) -> {
                      if (k != null) {
                        labels.put(EndpointLabels.NODE_META_PREFIX + k, v == null ? "" : v);
                      }
                    }));
    putIfSet(labels, EndpointLabels.SERVICE, service.getService());
    putIfSet(labels, EndpointLabels.SERVICE_ID, service.getId());
    putIfSet(labels, EndpointLabels.NODE, node.getNode());
    putIfSet(labels, EndpointLabels.DATACENTER, node.getDatacenter().orElse(null));
    putIfSet(labels, EndpointLabels.NAMESPACE, namespace);
    putIfSet(labels, EndpointLabels.PARTITION, partition);
    labels.put(EndpointLabels.HEALTH, state);
    return labels;
  }

  private static void putIfSet(Map<String, String> labels, String key, @Nullable String value) {
    if (value != null && !value.isEmpty()) {
      labels.put(key, value);
    }
  }
}
