package dev.meshwork;

/**
 * The access check inbound adapters run once per request ({@link Mesh#authorize}): the snapshot's
 * policy, evaluated for this server's identity and the caller's, with denials reported. Stateless.
 */
final class InboundAccess {

  /**
   * The decision when no rule exists at all and the default allows: no string built per request.
   */
  private static final AccessDecision OPEN =
      new AccessDecision(true, "no access rules; default allow", null);

  private InboundAccess() {}

  static AccessDecision decide(Mesh mesh, InboundCall call, MeshRequest request) {
    AccessPolicy policy = mesh.snapshot().accessPolicy();
    // The mesh's default, not the policy's: before the first snapshot the policy is allow-all.
    boolean allowByDefault = mesh.defaultAccess == AccessRule.Action.ALLOW;
    if (policy.rules().isEmpty() && allowByDefault) {
      return OPEN;
    }
    TransportSecurity security = mesh.transportSecurity();
    SpiffeId self = security == null ? null : security.localIdentity();
    AccessDecision decision;
    if (self == null || policy.rules().isEmpty()) {
      decision =
          new AccessDecision(
              allowByDefault,
              (self == null
                      ? "this server has no workload identity, so no access rule names it"
                      : "no access rules")
                  + "; default "
                  + (allowByDefault ? "allow" : "deny"),
              null);
    } else {
      decision = policy.evaluate(self, call.peer(), request);
    }
    if (!decision.allowed()) {
      mesh.listener.accessDenied(call, decision);
    }
    return decision;
  }
}
