package dev.meshwork.consul;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * How to reach a Consul agent: its address, the ACL token sent as {@code X-Consul-Token}, the TLS
 * context for an {@code https} address, and the datacenter, namespace and admin partition to ask
 * about (each left out of queries when not set, so the agent's own apply). Every call of {@link
 * ConsulSource} and {@link ConsulIdentitySource} uses the same settings.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * ConsulAgent agent = ConsulAgent.builder("https://127.0.0.1:8501")
 *     .token(System.getenv("CONSUL_HTTP_TOKEN"))
 *     .tls(sslContext, trustManager)
 *     .datacenter("dc1")
 *     .build();
 * }</pre>
 */
public final class ConsulAgent {

  /** Default cap on one response body: 16 MiB, far above any health or config answer. */
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  private final URI address;
  private final @Nullable String token;
  private final @Nullable SSLContext sslContext;
  private final @Nullable X509TrustManager trustManager;
  private final @Nullable String datacenter;
  private final @Nullable String namespace;
  private final @Nullable String partition;
  private final int maxResponseBytes;
  private final Duration connectTimeout;

  private ConsulAgent(Builder b) {
    this.address = b.address;
    this.token = b.token;
    this.sslContext = b.sslContext;
    this.trustManager = b.trustManager;
    this.datacenter = b.datacenter;
    this.namespace = b.namespace;
    this.partition = b.partition;
    this.maxResponseBytes = b.maxResponseBytes;
    this.connectTimeout = b.connectTimeout;
  }

  /** The local agent at {@code http://127.0.0.1:8500}, with no token. */
  public static ConsulAgent local() {
    return builder("http://127.0.0.1:8500").build();
  }

  /**
   * @param address {@code http://host:port} or {@code https://host:port}
   */
  public static Builder builder(String address) {
    return new Builder(address);
  }

  /** The agent's base address, without a trailing slash. */
  public URI address() {
    return address;
  }

  public @Nullable String token() {
    return token;
  }

  /** The TLS context for {@code https}; null uses the JDK's default trust store. */
  public @Nullable SSLContext sslContext() {
    return sslContext;
  }

  /** The trust manager inside {@link #sslContext()} (OkHttp needs it apart); null with it. */
  public @Nullable X509TrustManager trustManager() {
    return trustManager;
  }

  public @Nullable String datacenter() {
    return datacenter;
  }

  public @Nullable String namespace() {
    return namespace;
  }

  public @Nullable String partition() {
    return partition;
  }

  /** Larger answers are rejected as invalid configuration instead of being read. */
  public int maxResponseBytes() {
    return maxResponseBytes;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** {@code host:port}, for messages. */
  public String authority() {
    return address.getAuthority();
  }

  @Override
  public String toString() {
    return "ConsulAgent{"
        + address
        + (datacenter == null ? "" : ", dc=" + datacenter)
        + (namespace == null ? "" : ", ns=" + namespace)
        + (partition == null ? "" : ", partition=" + partition)
        + (token == null ? "" : ", token=<set>")
        + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final URI address;
    private @Nullable String token;
    private @Nullable SSLContext sslContext;
    private @Nullable X509TrustManager trustManager;
    private @Nullable String datacenter;
    private @Nullable String namespace;
    private @Nullable String partition;
    private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
    private Duration connectTimeout = Duration.ofSeconds(5);

    private Builder(String address) {
      Objects.requireNonNull(address, "address");
      URI uri;
      try {
        uri =
            URI.create(
                address.endsWith("/") ? address.substring(0, address.length() - 1) : address);
      } catch (IllegalArgumentException e) {
        throw invalidAddress(address);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https"))
          || uri.getHost() == null
          || (uri.getPath() != null && !uri.getPath().isEmpty())) {
        throw invalidAddress(address);
      }
      this.address = uri;
    }

    private static IllegalArgumentException invalidAddress(String address) {
      return new IllegalArgumentException(
          "consul address: \"" + address + "\" (expected http://host:port or https://host:port)");
    }

    /** The ACL token, sent as {@code X-Consul-Token}; null or empty sends none. */
    public Builder token(@Nullable String token) {
      this.token = token == null || token.isEmpty() ? null : token;
      return this;
    }

    /**
     * TLS to the agent: {@code sslContext} for the connection and the {@code trustManager} it was
     * initialised with (the health client needs it on its own); client certificates in the
     * context's key managers are presented to the agent.
     */
    public Builder tls(SSLContext sslContext, X509TrustManager trustManager) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      this.trustManager = Objects.requireNonNull(trustManager, "trustManager");
      return this;
    }

    /** The datacenter to query ({@code dc=}); by default the agent's own. */
    public Builder datacenter(String datacenter) {
      this.datacenter = nonEmpty(datacenter, "datacenter");
      return this;
    }

    /** The Enterprise namespace to query ({@code ns=}); by default the token's. */
    public Builder namespace(String namespace) {
      this.namespace = nonEmpty(namespace, "namespace");
      return this;
    }

    /** The Enterprise admin partition to query ({@code partition=}); by default the agent's. */
    public Builder partition(String partition) {
      this.partition = nonEmpty(partition, "partition");
      return this;
    }

    public Builder maxResponseBytes(int maxResponseBytes) {
      if (maxResponseBytes < 1024) {
        throw new IllegalArgumentException(
            "consul maxResponseBytes: " + maxResponseBytes + " (expected >= 1024)");
      }
      this.maxResponseBytes = maxResponseBytes;
      return this;
    }

    public Builder connectTimeout(Duration connectTimeout) {
      if (connectTimeout.isNegative() || connectTimeout.isZero()) {
        throw new IllegalArgumentException(
            "consul connectTimeout: " + connectTimeout + " (expected a positive duration)");
      }
      this.connectTimeout = connectTimeout;
      return this;
    }

    private static String nonEmpty(String value, String what) {
      if (Objects.requireNonNull(value, what).isEmpty()) {
        throw new IllegalArgumentException("consul " + what + ": \"\" (expected a name)");
      }
      return value;
    }

    public ConsulAgent build() {
      return new ConsulAgent(this);
    }
  }
}
