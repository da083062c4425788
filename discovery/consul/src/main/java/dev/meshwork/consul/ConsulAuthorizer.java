package dev.meshwork.consul;

import dev.meshwork.AccessPolicy;
import dev.meshwork.AccessRule;
import dev.meshwork.Mesh;
import dev.meshwork.SpiffeId;
import dev.meshwork.consul.internal.Intentions;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Consul's {@code POST /v1/agent/connect/authorize} answered in-process from the mesh's {@link
 * AccessPolicy} (where {@link ConsulSource} put the intentions): may the client whose certificate
 * carries {@code clientCertUri} connect to {@code target}? Like Consul, the first intention (by
 * precedence) whose source names the client decides; an L7 intention (one with permissions) is
 * never an L4 authorization; no matching intention falls back to the default policy.
 *
 * <p>Immutable and thread-safe; reads the policy afresh on every call when built over a mesh.
 *
 * <pre>{@code
 * ConsulAuthorizer authorizer = ConsulAuthorizer.of(mesh);
 * ConsulAuthorizer.Result r = authorizer.authorize("db",
 *     "spiffe://11111111-2222-3333-4444-555555555555.consul/ns/default/dc/dc1/svc/web");
 * if (!r.authorized()) throw new SecurityException(r.reason());
 * }</pre>
 */
public final class ConsulAuthorizer {

  /** Consul's reason when no intention decided. */
  public static final String DEFAULT_REASON = "Default behavior configured by ACLs";

  private final Supplier<AccessPolicy> policy;
  private final String namespace;

  private ConsulAuthorizer(Supplier<AccessPolicy> policy, String namespace) {
    this.policy = policy;
    this.namespace = namespace;
  }

  /** Authorizes against the mesh's policy in force at each call. */
  public static ConsulAuthorizer of(Mesh mesh) {
    Objects.requireNonNull(mesh, "mesh");
    return new ConsulAuthorizer(() -> mesh.snapshot().accessPolicy(), "default");
  }

  public static ConsulAuthorizer of(AccessPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    return new ConsulAuthorizer(() -> policy, "default");
  }

  /** The Consul namespace of targets; default {@code default}. */
  public ConsulAuthorizer inNamespace(String namespace) {
    return new ConsulAuthorizer(policy, Objects.requireNonNull(namespace, "namespace"));
  }

  /** The answer: Consul's {@code {"Authorized": …, "Reason": …}}. */
  public record Result(boolean authorized, String reason) {}

  /**
   * @param target the destination service's name
   * @param clientCertUri the SPIFFE URI in the client's certificate
   */
  public Result authorize(String target, String clientCertUri) {
    SpiffeId client;
    try {
      client = SpiffeId.parse(clientCertUri);
    } catch (IllegalArgumentException e) {
      return new Result(false, "Client certificate URI is not a valid SPIFFE ID: " + clientCertUri);
    }
    if (client.service() == null) {
      return new Result(
          false, "Client certificate URI is not a service identity: " + clientCertUri);
    }
    String dc = client.datacenter() == null ? "dc1" : client.datacenter();
    SpiffeId self;
    try {
      self = SpiffeId.consul(client.trustDomain(), namespace, dc, target);
    } catch (IllegalArgumentException e) {
      return new Result(false, "Target is not a valid service name: " + target);
    }
    AccessPolicy p = policy.get();
    for (AccessRule rule : p.rulesFor(self)) {
      if (!rule.source().matches(client)) {
        continue;
      }
      String origin = rule.origin();
      if (origin.startsWith(Intentions.DEFAULT_ORIGIN) || !origin.startsWith(Intentions.ORIGIN)) {
        return new Result(rule.action() == AccessRule.Action.ALLOW, DEFAULT_REASON);
      }
      String intention = origin.substring(Intentions.ORIGIN.length());
      if (!rule.requests().isEmpty() || intention.contains("(L7")) {
        return new Result(
            false,
            "Matched L7 intention: "
                + intention.substring(0, intention.indexOf(" (")).trim()
                + " (permissions apply per request, not to a connection)");
      }
      return new Result(
          rule.action() == AccessRule.Action.ALLOW, "Matched L4 intention: " + intention);
    }
    return new Result(p.defaultAction() == AccessRule.Action.ALLOW, DEFAULT_REASON);
  }
}
