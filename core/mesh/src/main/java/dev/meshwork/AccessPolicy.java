package dev.meshwork;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether an inbound request may proceed, from the access rules of every source (SMI
 * TrafficTargets, Consul intentions, programmatic rules):
 *
 * <ol>
 *   <li>Rules whose destination does not name the server are ignored.
 *   <li>If none is left, the {@linkplain #defaultAction() default action} decides.
 *   <li>Otherwise the highest-precedence rule (ties: the earlier rule) whose source names the peer
 *       and whose requests match decides.
 *   <li>If no rule matches, the request is denied: once a destination has a policy, what it does
 *       not allow is denied (SMI's semantics; a source with another default adds an explicit
 *       catch-all rule).
 * </ol>
 *
 * <p>Immutable and thread-safe; the rules that apply to a server identity are computed once per
 * identity.
 *
 * <pre>{@code
 * AccessDecision d = mesh.snapshot().accessPolicy().evaluate(self, peer, request);
 * if (!d.allowed()) {
 *   response.sendError(403, d.reason());
 * }
 * }</pre>
 */
public final class AccessPolicy {

  private static final AccessPolicy ALLOW_ALL =
      new AccessPolicy(List.of(), AccessRule.Action.ALLOW);

  private final List<AccessRule> rules;
  private final AccessRule.Action defaultAction;
  private final ConcurrentHashMap<SpiffeId, List<AccessRule>> byDestination =
      new ConcurrentHashMap<>();

  private AccessPolicy(List<AccessRule> rules, AccessRule.Action defaultAction) {
    this.rules = rules;
    this.defaultAction = defaultAction;
  }

  /** A policy over {@code rules}, with {@code defaultAction} for servers no rule names. */
  public static AccessPolicy of(List<AccessRule> rules, AccessRule.Action defaultAction) {
    if (rules.isEmpty() && defaultAction == AccessRule.Action.ALLOW) {
      return ALLOW_ALL;
    }
    return new AccessPolicy(List.copyOf(rules), Objects.requireNonNull(defaultAction));
  }

  /** No rules; everything allowed. */
  public static AccessPolicy allowAll() {
    return ALLOW_ALL;
  }

  public List<AccessRule> rules() {
    return rules;
  }

  public AccessRule.Action defaultAction() {
    return defaultAction;
  }

  /** The rules that name {@code self} as destination, in evaluation order. */
  public List<AccessRule> rulesFor(SpiffeId self) {
    return byDestination.computeIfAbsent(
        self,
        s -> {
          List<AccessRule> applicable = new ArrayList<>();
          for (AccessRule r : rules) {
            if (r.destination().matches(s)) {
              applicable.add(r);
            }
          }
          applicable.sort(Comparator.comparingInt(AccessRule::precedence).reversed());
          return List.copyOf(applicable);
        });
  }

  /**
   * Decides a request from {@code peer} (null when the peer presented no certificate) to the server
   * whose identity is {@code self}.
   */
  public AccessDecision evaluate(SpiffeId self, @Nullable SpiffeId peer, MeshRequest request) {
    List<AccessRule> applicable = rulesFor(self);
    if (applicable.isEmpty()) {
      boolean allow = defaultAction == AccessRule.Action.ALLOW;
      return new AccessDecision(
          allow, "no access rule names " + self + "; default " + (allow ? "allow" : "deny"), null);
    }
    if (peer == null) {
      return new AccessDecision(
          false, "access to " + self + " requires a client certificate; none was presented", null);
    }
    for (AccessRule r : applicable) {
      if (r.matches(peer, request)) {
        boolean allow = r.action() == AccessRule.Action.ALLOW;
        return new AccessDecision(
            allow, (allow ? "allowed by " : "denied by ") + r.origin() + " (" + peer + ")", r);
      }
    }
    return new AccessDecision(
        false,
        "no access rule allows "
            + peer
            + " to "
            + request.method()
            + " "
            + request.path()
            + " on "
            + self,
        null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AccessPolicy
        && ((AccessPolicy) o).rules.equals(rules)
        && ((AccessPolicy) o).defaultAction == defaultAction;
  }

  @Override
  public int hashCode() {
    return rules.hashCode() * 31 + defaultAction.hashCode();
  }

  @Override
  public String toString() {
    return "AccessPolicy{default " + defaultAction + ", " + rules + "}";
  }
}
