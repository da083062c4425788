package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns resource documents into {@link Resource}s by apiVersion and kind: SMI split, specs and
 * access groups in every version the mesh reads, and Gateway API HTTPRoute / GRPCRoute. Documents
 * of other groups (a Deployment, a TrafficMetrics object) are skipped, so a directory can hold a
 * whole application's manifests. Stateless and thread-safe.
 */
final class ResourceParser {

  private static final Set<String> SMI_VERSIONS =
      Set.of("v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4");

  /** Kinds the mesh reads, by API group, with the versions it accepts. */
  private static final Map<String, Map<String, Set<String>>> KINDS =
      Map.of(
          "split.smi-spec.io", Map.of("TrafficSplit", SMI_VERSIONS),
          "specs.smi-spec.io",
              Map.of(
                  "HTTPRouteGroup", SMI_VERSIONS,
                  "TCPRoute", SMI_VERSIONS,
                  "UDPRoute", Set.of("v1alpha4")),
          "access.smi-spec.io",
              Map.of("TrafficTarget", SMI_VERSIONS, "IdentityBinding", Set.of("v1alpha4")),
          "gateway.networking.k8s.io",
              Map.of(
                  "HTTPRoute", Set.of("v1", "v1beta1"),
                  "GRPCRoute", Set.of("v1", "v1alpha2")));

  private final String defaultNamespace;

  ResourceParser(String defaultNamespace) {
    this.defaultNamespace = defaultNamespace;
  }

  /**
   * Every resource the mesh reads in {@code text}, or the first error.
   *
   * @param origin how messages name the text, usually the file name
   */
  List<Resource> parseAll(String origin, String text) {
    List<Resource> out = new ArrayList<>();
    Set<Resource.Id> ids = new java.util.HashSet<>();
    for (Node doc : YamlDocuments.parse(origin, text)) {
      Resource r = parse(doc, origin);
      if (r == null) {
        continue;
      }
      if (!ids.add(r.id())) {
        throw ConfigException.of(
            r.origin(), "metadata.name", r.id().name(), "each " + r.id().kind() + " once per file");
      }
      out.add(r);
    }
    return out;
  }

  /**
   * The resource in {@code doc}, or null if it is of a kind the mesh does not read.
   *
   * @param prefix the origin's first part: a file name, or {@code kubernetes}
   */
  @Nullable Resource parse(Node doc, String prefix) {
    if (!doc.isMap()) {
      throw doc.error("a Kubernetes resource: a mapping with apiVersion, kind and metadata");
    }
    String apiVersion = doc.get("apiVersion").optText("group/version");
    String kind = doc.get("kind").optText("a kind");
    if (apiVersion == null || kind == null) {
      return null;
    }
    int slash = apiVersion.indexOf('/');
    String group = slash < 0 ? "" : apiVersion.substring(0, slash);
    String version = apiVersion.substring(slash + 1);
    Map<String, Set<String>> kinds = KINDS.get(group);
    if (kinds == null) {
      return null;
    }
    Set<String> versions = kinds.get(kind);
    if (versions == null) {
      return null;
    }
    Node meta = doc.get("metadata");
    String unnamed = prefix + ": " + kind + (doc.path().isEmpty() ? "" : " at " + doc.path());
    String name = meta.withOrigin(unnamed).get("name").text("a resource name");
    String ns = meta.withOrigin(unnamed).get("namespace").optText("a namespace");
    Resource.Id id = new Resource.Id(kind, ns == null ? defaultNamespace : ns, name);
    String origin = prefix + ": " + id;
    Node d = doc.withOrigin(origin);
    if (!versions.contains(version)) {
      throw ConfigException.of(
          origin,
          "apiVersion",
          apiVersion,
          "one of " + group + "/" + new java.util.TreeSet<>(versions));
    }
    try {
      return parse(kind, version, id, origin, d);
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      // A check a core builder makes on its own; still the document's fault, so still typed.
      throw ConfigException.of(origin, "", String.valueOf(e.getMessage()), "a valid " + kind, e);
    }
  }

  private static Resource parse(
      String kind, String version, Resource.Id id, String origin, Node d) {
    switch (kind) {
      case "TrafficSplit":
        return SmiParser.trafficSplit(id, origin, d);
      case "HTTPRouteGroup":
        return SmiParser.httpRouteGroup(id, origin, version, d);
      case "TCPRoute":
      case "UDPRoute":
        return AccessParser.l4Route(id, origin, d);
      case "TrafficTarget":
        return AccessParser.trafficTarget(id, origin, version, d);
      case "IdentityBinding":
        return AccessParser.identityBinding(id, origin, d);
      default:
        return GatewayParser.meshRoute(id, origin, d);
    }
  }
}
