package dev.meshwork.smi;

import dev.meshwork.IdentityMatch;
import dev.meshwork.SpiffeId;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads SMI TrafficTarget (v1alpha1–v1alpha3, and the v1alpha4 draft's IdentityBinding subjects),
 * TCPRoute / UDPRoute (v1alpha1–v1alpha4) and IdentityBinding documents into {@link Resource}s.
 * TrafficTarget v1alpha1 has no {@code spec} and calls its rules {@code specs}; both shapes are
 * accepted in every version. Stateless.
 */
final class AccessParser {

  private static final System.Logger LOG = System.getLogger(AccessParser.class.getName());
  private static final Set<String> SUBJECT_KINDS = Set.of("ServiceAccount", "IdentityBinding");
  private static final Set<String> RULE_KINDS = Set.of("HTTPRouteGroup", "TCPRoute", "UDPRoute");

  private AccessParser() {}

  static Resource.TrafficTarget trafficTarget(
      Resource.Id id, String origin, String version, Node doc) {
    Node body = doc.get("spec");
    if (body.isMissing()) {
      if (!version.equals("v1alpha1")) {
        LOG.log(
            Level.WARNING,
            "{0}: no spec; reading destination, rules and sources at the top level as v1alpha1"
                + " writes them",
            origin);
      }
      body = doc;
    } else if (!body.isMap()) {
      throw body.error("a mapping with destination, rules and sources");
    }
    Resource.Subject destination = subject(body.get("destination"), id.namespace());
    Node rulesNode = body.get("rules").isMissing() ? body.get("specs") : body.get("rules");
    List<Resource.Rule> rules = new ArrayList<>();
    for (Node r : rulesNode.items()) {
      String kind = r.get("kind").text("one of " + RULE_KINDS);
      if (!RULE_KINDS.contains(kind)) {
        throw r.get("kind").error("one of " + RULE_KINDS);
      }
      List<String> matches = new ArrayList<>();
      for (Node m : r.get("matches").items()) {
        matches.add(m.text("the name of a match in " + kind + " " + r.get("name").value()));
      }
      rules.add(
          new Resource.Rule(
              kind, r.get("name").text("the name of a " + kind), List.copyOf(matches), r.path()));
    }
    if (rules.isEmpty()) {
      throw rulesNode.error("at least one rule");
    }
    List<Resource.Subject> sources = new ArrayList<>();
    for (Node s : body.get("sources").items()) {
      sources.add(subject(s, id.namespace()));
    }
    if (sources.isEmpty()) {
      throw body.get("sources").error("at least one source");
    }
    return new Resource.TrafficTarget(
        id, origin, destination, List.copyOf(sources), List.copyOf(rules));
  }

  private static Resource.Subject subject(Node node, String namespace) {
    if (!node.isMap()) {
      throw node.error("a ServiceAccount: kind, name and namespace");
    }
    String kind = node.get("kind").text("one of " + SUBJECT_KINDS);
    if (!SUBJECT_KINDS.contains(kind)) {
      throw node.get("kind").error("one of " + SUBJECT_KINDS);
    }
    String name = node.get("name").text("a " + kind + " name");
    String ns = node.get("namespace").optText("a namespace");
    return new Resource.Subject(kind, ns == null ? namespace : ns, name, node.path());
  }

  static Resource.L4Route l4Route(Resource.Id id, String origin, Node doc) {
    List<Integer> ports = new ArrayList<>();
    Node matches = doc.get("spec").get("matches");
    if (matches.isList()) {
      // Some drafts wrote matches as a list; every entry's ports count.
      for (Node m : matches.items()) {
        ports.addAll(ports(m.get("ports")));
      }
    } else {
      ports.addAll(ports(matches.get("ports")));
    }
    return new Resource.L4Route(id, origin, List.copyOf(ports));
  }

  private static List<Integer> ports(Node node) {
    List<Integer> out = new ArrayList<>();
    for (Node p : node.items()) {
      out.add(p.integer(1, 65535, "a port number 1..65535"));
    }
    return out;
  }

  static Resource.IdentityBinding identityBinding(Resource.Id id, String origin, Node doc) {
    Node schemes = doc.get("spec").get("schemes");
    List<IdentityMatch> identities = new ArrayList<>();
    String sa = schemes.get("serviceAccount").optText("a service account name");
    if (sa != null) {
      identities.add(IdentityMatch.serviceAccount(id.namespace(), sa));
    }
    for (Node s : schemes.get("spiffeIdentities").items()) {
      String text = s.text("a SPIFFE ID");
      try {
        identities.add(
            IdentityMatch.exactly(
                SpiffeId.parse(text.startsWith("spiffe://") ? text : "spiffe://" + text)));
      } catch (IllegalArgumentException e) {
        throw s.error("a SPIFFE ID such as cluster.local/ns/default/sa/web", e);
      }
    }
    if (!schemes.get("podLabelSelector").isMissing()) {
      LOG.log(
          Level.WARNING,
          "{0}: spec.schemes.podLabelSelector ignored: a peer's certificate does not carry pod"
              + " labels",
          origin);
    }
    if (identities.isEmpty()) {
      throw schemes.error("serviceAccount or spiffeIdentities");
    }
    return new Resource.IdentityBinding(id, origin, List.copyOf(identities));
  }
}
