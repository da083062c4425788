package dev.meshwork;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A workload identity as a SPIFFE ID, the URI in an X.509 certificate's subject alternative names:
 * {@code spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>} (Kubernetes) or {@code
 * spiffe://<trust-domain>/ns/<namespace>/dc/<datacenter>/svc/<service>} (Consul Connect).
 *
 * <p>Immutable. Parsing checks the scheme, the trust domain and the path; the accessors read the
 * well-known path segments and return null when the ID has another shape.
 *
 * <pre>{@code
 * SpiffeId id = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/cart");
 * id.namespace();        // "shop"
 * id.serviceAccount();   // "cart"
 * }</pre>
 */
public final class SpiffeId {

  private final String trustDomain;
  private final String path;
  private final String[] segments;

  private SpiffeId(String trustDomain, String path) {
    this.trustDomain = trustDomain;
    this.path = path;
    this.segments = path.isEmpty() ? new String[0] : path.substring(1).split("/", -1);
  }

  /**
   * @throws IllegalArgumentException naming the value when it is not a valid SPIFFE ID
   */
  public static SpiffeId parse(String value) {
    Objects.requireNonNull(value, "value");
    String prefix = "spiffe://";
    if (!value.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw invalid(value, "scheme spiffe://");
    }
    String rest = value.substring(prefix.length());
    int slash = rest.indexOf('/');
    String domain = (slash < 0 ? rest : rest.substring(0, slash)).toLowerCase(Locale.ROOT);
    String path = slash < 0 ? "" : rest.substring(slash);
    if (domain.isEmpty() || !domain.chars().allMatch(SpiffeId::domainChar)) {
      throw invalid(value, "a trust domain of lower-case letters, digits, '.', '-' and '_'");
    }
    if (path.equals("/")
        || path.endsWith("/")
        || path.contains("//")
        || path.contains("?")
        || path.contains("#")) {
      throw invalid(value, "a path of non-empty segments");
    }
    return new SpiffeId(domain, path);
  }

  /** {@code spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>}. */
  public static SpiffeId kubernetes(String trustDomain, String namespace, String serviceAccount) {
    return parse("spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount);
  }

  /** {@code spiffe://<trustDomain>/ns/<namespace>/dc/<datacenter>/svc/<service>}. */
  public static SpiffeId consul(
      String trustDomain, String namespace, String datacenter, String service) {
    return parse(
        "spiffe://" + trustDomain + "/ns/" + namespace + "/dc/" + datacenter + "/svc/" + service);
  }

  private static boolean domainChar(int c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  }

  private static IllegalArgumentException invalid(String value, String expected) {
    return new IllegalArgumentException("SPIFFE ID: \"" + value + "\" (expected " + expected + ")");
  }

  public String trustDomain() {
    return trustDomain;
  }

  /** The path, starting with {@code /}, or empty. */
  public String path() {
    return path;
  }

  /** The value after {@code ns}, or null. */
  public @Nullable String namespace() {
    return after("ns");
  }

  /** The value after {@code sa} (Kubernetes form), or null. */
  public @Nullable String serviceAccount() {
    return after("sa");
  }

  /** The value after {@code svc} (Consul form), or null. */
  public @Nullable String service() {
    return after("svc");
  }

  /** The value after {@code dc} (Consul form), or null. */
  public @Nullable String datacenter() {
    return after("dc");
  }

  private @Nullable String after(String key) {
    for (int i = 0; i + 1 < segments.length; i += 2) {
      if (segments[i].equals(key)) {
        return segments[i + 1];
      }
    }
    return null;
  }

  public URI toUri() {
    return URI.create(toString());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpiffeId
        && ((SpiffeId) o).trustDomain.equals(trustDomain)
        && ((SpiffeId) o).path.equals(path);
  }

  @Override
  public int hashCode() {
    return trustDomain.hashCode() * 31 + path.hashCode();
  }

  @Override
  public String toString() {
    return "spiffe://" + trustDomain + path;
  }
}
