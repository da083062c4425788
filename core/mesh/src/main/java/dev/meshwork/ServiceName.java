package dev.meshwork;

import java.util.Locale;
import java.util.Objects;

/**
 * The name of a service in the mesh: a name and a namespace, printed as {@code name.namespace}
 * ({@code reviews.default}). Clients address a service as {@code http://reviews/} (the mesh's
 * default namespace), {@code http://reviews.prod/} or {@code
 * http://reviews.prod.svc.cluster.local/}.
 *
 * <p>Names are case-insensitive and stored in lower case. Immutable and thread-safe.
 *
 * <pre>{@code
 * ServiceName reviews = ServiceName.of("reviews");           // reviews.default
 * ServiceName ratings = ServiceName.parse("ratings.prod");   // ratings.prod
 * }</pre>
 */
public final class ServiceName implements Comparable<ServiceName> {

  /** The namespace used when none is given, as in Kubernetes and Consul. */
  public static final String DEFAULT_NAMESPACE = "default";

  private static final String CLUSTER_SUFFIX = ".svc.cluster.local";
  private static final String SVC_SUFFIX = ".svc";

  private final String name;
  private final String namespace;
  private final String text;

  private ServiceName(String name, String namespace) {
    this.name = name;
    this.namespace = namespace;
    this.text = name + "." + namespace;
  }

  /** {@code name} in the {@linkplain #DEFAULT_NAMESPACE default namespace}. */
  public static ServiceName of(String name) {
    return of(name, DEFAULT_NAMESPACE);
  }

  /** {@code name} in {@code namespace}; both must be DNS-label-like (letters, digits, '-', '_'). */
  public static ServiceName of(String name, String namespace) {
    return new ServiceName(checkLabel(name, "name"), checkLabel(namespace, "namespace"));
  }

  /**
   * Parses {@code name}, {@code name.namespace}, {@code name.namespace.svc} or {@code
   * name.namespace.svc.cluster.local}; a bare name lands in {@code defaultNamespace}.
   *
   * @throws IllegalArgumentException if {@code text} has another shape
   */
  public static ServiceName parse(String text, String defaultNamespace) {
    String t = text.toLowerCase(Locale.ROOT);
    if (t.endsWith(CLUSTER_SUFFIX)) {
      t = t.substring(0, t.length() - CLUSTER_SUFFIX.length());
    } else if (t.endsWith(SVC_SUFFIX)) {
      t = t.substring(0, t.length() - SVC_SUFFIX.length());
    }
    int dot = t.indexOf('.');
    if (dot < 0) {
      return of(t, defaultNamespace);
    }
    if (t.indexOf('.', dot + 1) >= 0) {
      throw new IllegalArgumentException(
          "service name: \""
              + text
              + "\" (expected name, name.namespace or name.namespace.svc.cluster.local)");
    }
    return of(t.substring(0, dot), t.substring(dot + 1));
  }

  /** {@link #parse(String, String)} with the {@linkplain #DEFAULT_NAMESPACE default namespace}. */
  public static ServiceName parse(String text) {
    return parse(text, DEFAULT_NAMESPACE);
  }

  public String name() {
    return name;
  }

  public String namespace() {
    return namespace;
  }

  private static String checkLabel(String value, String what) {
    Objects.requireNonNull(value, what);
    String v = value.toLowerCase(Locale.ROOT);
    boolean ok = !v.isEmpty() && v.length() <= 253;
    for (int i = 0; ok && i < v.length(); i++) {
      char c = v.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      boolean inner = c == '-' || c == '_';
      ok = alnum || (inner && i > 0 && i < v.length() - 1);
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "service "
              + what
              + ": \""
              + value
              + "\" (expected letters, digits, '-' or '_', starting and ending with a letter or"
              + " digit)");
    }
    return v;
  }

  @Override
  public int compareTo(ServiceName other) {
    return text.compareTo(other.text);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceName && ((ServiceName) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  /** {@code name.namespace}. */
  @Override
  public String toString() {
    return text;
  }
}
