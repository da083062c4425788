package dev.meshwork.smi;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The resource kinds the Kubernetes source watches, and which version of each the cluster serves.
 * Clusters differ (linkerd-smi serves TrafficSplit v1alpha1/v1alpha2, OSM v1alpha2, smi-sdk-go's
 * CRDs v1alpha4), so each kind's versions are tried newest first through API discovery, unless the
 * user pinned a version for its group. Stateless.
 */
final class ApiVersions {

  /** A kind the mesh reads, with the versions it can read, newest first. */
  record Kind(String group, String kind, String plural, List<String> versions) {
    ResourceDefinitionContext context(String version) {
      return new ResourceDefinitionContext.Builder()
          .withGroup(group)
          .withVersion(version)
          .withKind(kind)
          .withPlural(plural)
          .withNamespaced(true)
          .build();
    }
  }

  private static final List<String> SMI = List.of("v1alpha4", "v1alpha3", "v1alpha2", "v1alpha1");

  static final List<Kind> KINDS =
      List.of(
          new Kind("split.smi-spec.io", "TrafficSplit", "trafficsplits", SMI),
          new Kind("specs.smi-spec.io", "HTTPRouteGroup", "httproutegroups", SMI),
          new Kind("specs.smi-spec.io", "TCPRoute", "tcproutes", SMI),
          new Kind("specs.smi-spec.io", "UDPRoute", "udproutes", List.of("v1alpha4")),
          new Kind(
              "access.smi-spec.io",
              "TrafficTarget",
              "traffictargets",
              List.of("v1alpha3", "v1alpha2", "v1alpha1")),
          new Kind(
              "access.smi-spec.io", "IdentityBinding", "identitybindings", List.of("v1alpha4")),
          new Kind(
              "gateway.networking.k8s.io", "HTTPRoute", "httproutes", List.of("v1", "v1beta1")),
          new Kind(
              "gateway.networking.k8s.io", "GRPCRoute", "grpcroutes", List.of("v1", "v1alpha2")));

  private ApiVersions() {}

  /**
   * The version of {@code kind} to watch: the pinned one for its group, else the newest the cluster
   * lists; empty if the cluster serves none.
   *
   * @throws KubernetesClientException if the API server cannot be asked
   */
  static Optional<String> served(KubernetesClient client, Kind kind, Map<String, String> pinned) {
    String version = pinned.get(kind.group());
    if (version != null) {
      return Optional.of(version);
    }
    for (String v : kind.versions()) {
      if (lists(client, kind.group() + "/" + v, kind.plural())) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }

  /** The resource as a plain document, with the apiVersion and kind it was watched as. */
  static Map<String, Object> document(
      String apiVersion, String kind, io.fabric8.kubernetes.api.model.GenericKubernetesResource r) {
    Map<String, Object> doc = new java.util.LinkedHashMap<>(r.getAdditionalProperties());
    doc.put("apiVersion", apiVersion);
    doc.put("kind", kind);
    Map<String, Object> meta = new java.util.LinkedHashMap<>();
    meta.put("name", r.getMetadata().getName());
    meta.put("namespace", r.getMetadata().getNamespace());
    meta.put("creationTimestamp", r.getMetadata().getCreationTimestamp());
    doc.put("metadata", meta);
    return doc;
  }

  private static boolean lists(KubernetesClient client, String groupVersion, String plural) {
    APIResourceList list;
    try {
      list = client.getApiResources(groupVersion);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
    return list != null
        && list.getResources() != null
        && list.getResources().stream().anyMatch(r -> plural.equals(r.getName()));
  }
}
