package dev.meshwork;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which workload identities an access rule names, as a source or a destination: any workload, a
 * Kubernetes service account ({@code ns/sa}), a Consul service ({@code ns/svc}), or one exact
 * SPIFFE ID. {@code "*"} in a name or namespace matches any. Trust domains are not compared except
 * by {@link #exactly}: the TLS layer has already checked that the peer's certificate chains to a
 * trusted root.
 *
 * <p>Immutable.
 *
 * <pre>{@code
 * IdentityMatch.serviceAccount("shop", "cart");   // SMI TrafficTarget source
 * IdentityMatch.service("default", "web");        // Consul intention source
 * }</pre>
 */
public final class IdentityMatch {

  private enum Kind {
    ANY,
    SERVICE_ACCOUNT,
    SERVICE,
    EXACT
  }

  private static final IdentityMatch ANY = new IdentityMatch(Kind.ANY, "*", "*", null);

  private final Kind kind;
  private final String namespace;
  private final String name;
  private final @Nullable SpiffeId exact;

  private IdentityMatch(Kind kind, String namespace, String name, @Nullable SpiffeId exact) {
    this.kind = kind;
    this.namespace = namespace;
    this.name = name;
    this.exact = exact;
  }

  /** Any authenticated workload. */
  public static IdentityMatch any() {
    return ANY;
  }

  /** Workloads running as {@code serviceAccount} in {@code namespace} (either may be "*"). */
  public static IdentityMatch serviceAccount(String namespace, String serviceAccount) {
    return new IdentityMatch(
        Kind.SERVICE_ACCOUNT,
        Objects.requireNonNull(namespace, "namespace"),
        Objects.requireNonNull(serviceAccount, "serviceAccount"),
        null);
  }

  /** Instances of the Consul service {@code service} in {@code namespace} (either may be "*"). */
  public static IdentityMatch service(String namespace, String service) {
    return new IdentityMatch(
        Kind.SERVICE,
        Objects.requireNonNull(namespace, "namespace"),
        Objects.requireNonNull(service, "service"),
        null);
  }

  /** Exactly this SPIFFE ID, trust domain included. */
  public static IdentityMatch exactly(SpiffeId id) {
    return new IdentityMatch(Kind.EXACT, "", id.toString(), id);
  }

  /** Whether {@code id} is named by this match; a null id (no certificate) matches nothing. */
  public boolean matches(@Nullable SpiffeId id) {
    if (id == null) {
      return false;
    }
    switch (kind) {
      case ANY:
        return true;
      case EXACT:
        return id.equals(exact);
      case SERVICE_ACCOUNT:
        return wildcard(namespace, id.namespace()) && wildcard(name, id.serviceAccount());
      case SERVICE:
        return wildcard(namespace, id.namespace()) && wildcard(name, id.service());
    }
    throw new AssertionError(kind);
  }

  private static boolean wildcard(String pattern, @Nullable String value) {
    return value != null && (pattern.equals("*") || pattern.equals(value));
  }

  /**
   * How specific the match is, for precedence: exact ID 4, both names 3, wildcard name 2, wildcard
   * namespace 1, any 0 (Consul's intention precedence orders by this).
   */
  public int specificity() {
    switch (kind) {
      case ANY:
        return 0;
      case EXACT:
        return 4;
      default:
        if (namespace.equals("*")) {
          return name.equals("*") ? 0 : 1;
        }
        return name.equals("*") ? 2 : 3;
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof IdentityMatch)) {
      return false;
    }
    IdentityMatch m = (IdentityMatch) o;
    return kind == m.kind && namespace.equals(m.namespace) && name.equals(m.name);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, namespace, name);
  }

  @Override
  public String toString() {
    switch (kind) {
      case ANY:
        return "*";
      case SERVICE_ACCOUNT:
        return "sa " + namespace + "/" + name;
      case SERVICE:
        return "svc " + namespace + "/" + name;
      default:
        return name;
    }
  }
}
