package dev.meshwork;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One access rule, enforced where requests arrive (the gRPC server interceptor, the servlet
 * filter): requests from {@code source} to {@code destination} that match one of the {@code
 * requests} (none means any request) are allowed or denied. SMI TrafficTargets and Consul
 * intentions both compile to these, so one engine enforces both.
 *
 * <p>Among the rules whose destination names the server, the one with the highest {@linkplain
 * #precedence() precedence} that matches the request decides; see {@link AccessPolicy}. Every rule
 * keeps its origin for denial reasons and inspection. Immutable.
 *
 * <pre>{@code
 * AccessRule rule = AccessRule.allow(
 *         IdentityMatch.serviceAccount("shop", "frontend"),
 *         IdentityMatch.serviceAccount("shop", "cart"))
 *     .withRequests(List.of(RequestMatch.builder().methods("GET").build()))
 *     .withOrigin("access.yaml: TrafficTarget shop/cart-readers");
 * }</pre>
 */
public final class AccessRule {

  /** What a matching rule does. */
  public enum Action {
    ALLOW,
    DENY
  }

  private final Action action;
  private final IdentityMatch source;
  private final IdentityMatch destination;
  private final List<RequestMatch> requests;
  private final int precedence;
  private final String origin;

  private AccessRule(
      Action action,
      IdentityMatch source,
      IdentityMatch destination,
      List<RequestMatch> requests,
      int precedence,
      String origin) {
    this.action = action;
    this.source = source;
    this.destination = destination;
    this.requests = requests;
    this.precedence = precedence;
    this.origin = origin;
  }

  public static AccessRule allow(IdentityMatch source, IdentityMatch destination) {
    return new AccessRule(Action.ALLOW, source, destination, List.of(), 0, "programmatic");
  }

  public static AccessRule deny(IdentityMatch source, IdentityMatch destination) {
    return new AccessRule(Action.DENY, source, destination, List.of(), 0, "programmatic");
  }

  /** Restricts the rule to requests matching any of {@code requests}; empty means any request. */
  public AccessRule withRequests(List<RequestMatch> requests) {
    return new AccessRule(
        action, source, destination, List.copyOf(new ArrayList<>(requests)), precedence, origin);
  }

  /** Higher precedence rules are evaluated first; default 0. */
  public AccessRule withPrecedence(int precedence) {
    return new AccessRule(action, source, destination, requests, precedence, origin);
  }

  public AccessRule withOrigin(String origin) {
    return new AccessRule(
        action, source, destination, requests, precedence, Objects.requireNonNull(origin));
  }

  public Action action() {
    return action;
  }

  public IdentityMatch source() {
    return source;
  }

  public IdentityMatch destination() {
    return destination;
  }

  public List<RequestMatch> requests() {
    return requests;
  }

  public int precedence() {
    return precedence;
  }

  public String origin() {
    return origin;
  }

  /** Whether the rule applies to this peer and request (its destination is checked apart). */
  boolean matches(SpiffeId peer, MeshRequest request) {
    if (!source.matches(peer)) {
      return false;
    }
    if (requests.isEmpty()) {
      return true;
    }
    for (RequestMatch m : requests) {
      if (m.matches(request)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AccessRule)) {
      return false;
    }
    AccessRule r = (AccessRule) o;
    return action == r.action
        && precedence == r.precedence
        && source.equals(r.source)
        && destination.equals(r.destination)
        && requests.equals(r.requests)
        && origin.equals(r.origin);
  }

  @Override
  public int hashCode() {
    return Objects.hash(action, source, destination, requests, precedence, origin);
  }

  @Override
  public String toString() {
    return action
        + " "
        + source
        + " -> "
        + destination
        + (requests.isEmpty() ? "" : " " + requests)
        + " (from "
        + origin
        + ")";
  }
}
