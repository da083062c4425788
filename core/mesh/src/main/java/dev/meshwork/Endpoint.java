package dev.meshwork;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One instance of a service: where to connect, how much traffic it should get relative to its
 * peers, the labels that place it in subsets ({@code version=v2}, a Consul tag, a zone), and the
 * workload identity it must present when the connection uses mTLS.
 *
 * <p>Immutable and thread-safe; {@code withXxx} methods return modified copies. Two endpoints are
 * equal when all their attributes are; the mesh keeps an endpoint's runtime statistics (latency,
 * in-flight requests, breaker) across updates as long as its {@linkplain #authority() address}
 * stays.
 *
 * <pre>{@code
 * Endpoint e = Endpoint.of("10.0.3.7", 8080)
 *     .withLabel("version", "v2")
 *     .withIdentity("spiffe://cluster.local/ns/default/sa/reviews");
 * }</pre>
 */
public final class Endpoint {

  private final String host;
  private final int port;
  private final int weight;
  private final Map<String, String> labels;
  private final @Nullable String identity;
  private final String authority;

  private Endpoint(
      String host, int port, int weight, Map<String, String> labels, @Nullable String identity) {
    this.host = host;
    this.port = port;
    this.weight = weight;
    this.labels = labels;
    this.identity = identity;
    this.authority = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  /** An endpoint at {@code host:port} (an IP literal or a host name) with weight 1. */
  public static Endpoint of(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException(
          "endpoint host: \"\" (expected an IP address or host name)");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    checkPort(port);
    return new Endpoint(host, port, 1, Map.of(), null);
  }

  /** An endpoint at the given socket address (its host string, without resolving). */
  public static Endpoint of(InetSocketAddress address) {
    return of(address.getHostString(), address.getPort());
  }

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("endpoint port: " + port + " (expected 1..65535)");
    }
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** {@code host:port}, with IPv6 literals in brackets. */
  public String authority() {
    return authority;
  }

  /** Relative share of traffic among the endpoints of one backend; at least 1. */
  public int weight() {
    return weight;
  }

  /** Labels such as {@code version=v2}, sorted by key; never null. */
  public Map<String, String> labels() {
    return labels;
  }

  /** The label's value, or null. */
  public @Nullable String label(String key) {
    return labels.get(key);
  }

  /** The identity (a SPIFFE ID) this endpoint must present over mTLS, or null if unknown. */
  public @Nullable String identity() {
    return identity;
  }

  public Endpoint withWeight(int weight) {
    if (weight < 1) {
      throw new IllegalArgumentException(
          "endpoint " + authority + " weight: " + weight + " (expected >= 1)");
    }
    return new Endpoint(host, port, weight, labels, identity);
  }

  /** A copy whose labels are exactly {@code labels}. */
  public Endpoint withLabels(Map<String, String> labels) {
    return new Endpoint(host, port, weight, sortedCopy(labels), identity);
  }

  /** A copy with one more label (or a replaced one). */
  public Endpoint withLabel(String key, String value) {
    Map<String, String> copy = new TreeMap<>(labels);
    copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new Endpoint(host, port, weight, sortedCopy(copy), identity);
  }

  /** A copy that expects {@code identity} (for example a SPIFFE ID) from the peer; null clears. */
  public Endpoint withIdentity(@Nullable String identity) {
    return new Endpoint(host, port, weight, labels, identity);
  }

  private static Map<String, String> sortedCopy(Map<String, String> labels) {
    TreeMap<String, String> sorted = new TreeMap<>();
    labels.forEach(
        (k, v) -> sorted.put(Objects.requireNonNull(k, "label key"), Objects.requireNonNull(v, k)));
    return java.util.Collections.unmodifiableMap(sorted);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Endpoint)) {
      return false;
    }
    Endpoint e = (Endpoint) o;
    return port == e.port
        && weight == e.weight
        && host.equals(e.host)
        && labels.equals(e.labels)
        && Objects.equals(identity, e.identity);
  }

  @Override
  public int hashCode() {
    return Objects.hash(host, port, weight, labels, identity);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(authority);
    if (weight != 1) {
      s.append(" weight=").append(weight);
    }
    if (!labels.isEmpty()) {
      s.append(' ').append(labels);
    }
    if (identity != null) {
      s.append(' ').append(identity);
    }
    return s.toString();
  }
}
