package dev.meshwork.consul.internal;

import dev.meshwork.AccessRule;
import dev.meshwork.IdentityMatch;
import dev.meshwork.RequestMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Consul intentions, as {@code /v1/connect/intentions/match?by=destination} returns them, compiled
 * into core {@link AccessRule}s with Consul's precedence: the most specific source and destination
 * first (exact → exact 9, {@code *} → exact 8, exact → {@code *} 6, {@code *} → {@code *} 5;
 * namespace wildcards fill 7, 4..1 as in Enterprise); a deny beats an allow of equal precedence; an
 * L7 intention's permissions are tried in order and a request none of them matches gets the default
 * decision (not a lower intention's). The default (ACL default policy) becomes an explicit
 * lowest-precedence rule for each destination, because core otherwise denies what a destination's
 * rules do not allow and allows destinations without rules.
 */
public final class Intentions {

  /** Rule origins start with this; {@link dev.meshwork.consul.ConsulAuthorizer} reads them. */
  public static final String ORIGIN = "consul intention ";

  public static final String DEFAULT_ORIGIN = "consul default intention policy: ";

  private static final int BLOCK = 100_000;

  private Intentions() {}

  /** One intention; {@code action} is null for an L7 intention (its permissions decide). */
  public record Intention(
      String sourceNs,
      String sourceName,
      String destinationNs,
      String destinationName,
      AccessRule.@Nullable Action action,
      List<Permission> permissions,
      int precedence,
      String id) {

    /** {@code web => db}, namespaces shown only when not {@code default}. */
    public String describe() {
      return display(sourceNs, sourceName) + " => " + display(destinationNs, destinationName);
    }

    private static String display(String ns, String name) {
      return ns.isEmpty() || ns.equals("default") ? name : ns + "/" + name;
    }
  }

  /** An L7 permission: an action for requests matching {@code match}. */
  public record Permission(AccessRule.Action action, RequestMatch match) {}

  /** Parses the {@code match} answer's list for {@code destination}. */
  public static List<Intention> parse(Json body, String destination) {
    body.requireObject();
    List<Intention> out = new ArrayList<>();
    for (Json i : body.array(destination)) {
      i.requireObject();
      String srcNs = i.string("SourceNS", "default");
      String srcName = required(i, "SourceName");
      String dstNs = i.string("DestinationNS", "default");
      String dstName = required(i, "DestinationName");
      List<Permission> permissions = new ArrayList<>();
      for (Json p : i.array("Permissions")) {
        p.requireObject();
        ServiceRouter.HttpMatch http = ServiceRouter.parseMatch(p.field("HTTP"));
        permissions.add(
            new Permission(action(p, true), RouteCompiler.match(http, p.field("HTTP"))));
      }
      AccessRule.Action action = permissions.isEmpty() ? action(i, true) : action(i, false);
      long computed = precedence(srcNs, srcName, dstNs, dstName);
      int precedence = (int) i.integer("Precedence", computed, 0, 100);
      out.add(
          new Intention(
              srcNs,
              srcName,
              dstNs,
              dstName,
              action,
              List.copyOf(permissions),
              precedence,
              i.string("ID", "")));
    }
    return List.copyOf(out);
  }

  private static String required(Json i, String field) {
    String v = i.string(field, "");
    if (v.isEmpty()) {
      throw i.field(field).error("a service name or \"*\"");
    }
    return v;
  }

  private static AccessRule.@Nullable Action action(Json i, boolean required) {
    String a = i.string("Action", "");
    if (a.isEmpty() && !required) {
      return null;
    }
    switch (a.toLowerCase(Locale.ROOT)) {
      case "allow":
        return AccessRule.Action.ALLOW;
      case "deny":
        return AccessRule.Action.DENY;
      default:
        throw i.field("Action").error("\"allow\" or \"deny\"");
    }
  }

  /** Consul's precedence from how specific each side is (namespace and name exact or {@code *}). */
  static int precedence(String srcNs, String srcName, String dstNs, String dstName) {
    return specificity(dstNs, dstName) * 3 + specificity(srcNs, srcName) + 1;
  }

  private static int specificity(String ns, String name) {
    if (ns.equals("*")) {
      return 0;
    }
    return name.equals("*") ? 1 : 2;
  }

  /**
   * The access rules for one destination's intentions, plus the default for it.
   *
   * @param defaultAction Consul's decision when no intention matches
   */
  public static List<AccessRule> compile(
      String destinationNs,
      String destination,
      List<Intention> intentions,
      AccessRule.Action defaultAction) {
    List<AccessRule> rules = new ArrayList<>();
    for (Intention in : intentions) {
      IdentityMatch source = IdentityMatch.service(in.sourceNs(), in.sourceName());
      IdentityMatch dest = IdentityMatch.service(in.destinationNs(), in.destinationName());
      int base = in.precedence() * BLOCK;
      if (in.action() != null) {
        boolean deny = in.action() == AccessRule.Action.DENY;
        rules.add(
            rule(in.action(), source, dest)
                .withPrecedence(base + (deny ? 50_000 : 40_000))
                .withOrigin(ORIGIN + in.describe() + " (" + lower(in.action()) + ")"));
        continue;
      }
      for (int p = 0; p < in.permissions().size(); p++) {
        Permission perm = in.permissions().get(p);
        rules.add(
            rule(perm.action(), source, dest)
                .withRequests(List.of(perm.match()))
                .withPrecedence(base + 30_000 - p)
                .withOrigin(
                    ORIGIN
                        + in.describe()
                        + " (L7 permission "
                        + p
                        + ": "
                        + lower(perm.action())
                        + ")"));
      }
      rules.add(
          rule(defaultAction, source, dest)
              .withPrecedence(base + 1)
              .withOrigin(
                  ORIGIN
                      + in.describe()
                      + " (L7, no permission matched: default "
                      + lower(defaultAction)
                      + ")"));
    }
    rules.add(
        rule(defaultAction, IdentityMatch.any(), IdentityMatch.service(destinationNs, destination))
            .withOrigin(DEFAULT_ORIGIN + lower(defaultAction)));
    return List.copyOf(rules);
  }

  private static AccessRule rule(AccessRule.Action a, IdentityMatch source, IdentityMatch dest) {
    return a == AccessRule.Action.ALLOW
        ? AccessRule.allow(source, dest)
        : AccessRule.deny(source, dest);
  }

  private static String lower(AccessRule.Action a) {
    return a.name().toLowerCase(Locale.ROOT);
  }
}
