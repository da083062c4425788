package dev.meshwork.consul.internal;

import dev.meshwork.consul.ConsulAgent;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * Calls the Consul endpoints that consul-client does not cover (config entries, intentions, Connect
 * CA) with the JDK's {@link HttpClient}: the same address, ACL token, TLS context, datacenter,
 * namespace and partition as the health calls, bodies capped at {@link
 * ConsulAgent#maxResponseBytes()}, and a read timeout long enough for a blocking query and Consul's
 * jitter. Asynchronous: a blocked query holds no thread. Thread-safe.
 */
public final class ConsulHttp {

  /** Time limit of non-blocking queries. */
  static final Duration PLAIN_TIMEOUT = Duration.ofSeconds(10);

  private final ConsulAgent agent;
  private final WatchSettings settings;
  private final HttpClient client;

  public ConsulHttp(ConsulAgent agent, WatchSettings settings) {
    this.agent = agent;
    this.settings = settings;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(agent.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER);
    if (agent.sslContext() != null) {
      b.sslContext(agent.sslContext());
    }
    this.client = b.build();
  }

  public ConsulAgent agent() {
    return agent;
  }

  /**
   * GETs {@code path} ({@code /v1/...}), blocking on {@code index} when it is positive. Statuses
   * other than 200 and {@code alsoOk} complete the future with a {@link ConsulCallException}.
   */
  public CompletableFuture<Reply<RawBody>> get(
      String path, Map<String, String> query, long index, Set<Integer> alsoOk) {
    Map<String, String> q = new LinkedHashMap<>(query);
    if (agent.datacenter() != null) {
      q.putIfAbsent("dc", agent.datacenter());
    }
    if (agent.namespace() != null) {
      q.putIfAbsent("ns", agent.namespace());
    }
    if (agent.partition() != null) {
      q.putIfAbsent("partition", agent.partition());
    }
    Duration timeout = PLAIN_TIMEOUT;
    if (index > 0) {
      q.put("index", Long.toString(index));
      q.put("wait", GoDuration.format(settings.blockFor()));
      timeout = settings.readTimeout();
    }
    URI uri = URI.create(agent.address() + path + encode(q));
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").GET();
    if (agent.token() != null) {
      request.header("X-Consul-Token", agent.token());
    }
    String what = "consul " + agent.authority() + ": GET " + path;
    return client
        .sendAsync(request.build(), CappedBodySubscriber.handler(agent.maxResponseBytes()))
        .handle(
            (response, error) -> {
              if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                throw new CompletionException(
                    new ConsulCallException(what + ": " + describe(cause), 0, cause));
              }
              int status = response.statusCode();
              if (status != 200 && !alsoOk.contains(status)) {
                RawBody body = response.body();
                throw new CompletionException(
                    new ConsulCallException(
                        what
                            + ": "
                            + status
                            + (body.isOversize() ? "" : " (" + body.excerpt() + ")"),
                        status));
              }
              return new Reply<>(
                  status,
                  parseIndex(response.headers().firstValue("X-Consul-Index").orElse(null)),
                  response.headers().firstValue("X-Consul-Default-Acl-Policy").orElse(null),
                  response.body());
            });
  }

  /** The {@code X-Consul-Index} value, or 0 when it is missing or not a non-negative number. */
  public static long parseIndex(@Nullable String header) {
    if (header == null) {
      return 0;
    }
    try {
      long v = Long.parseUnsignedLong(header.trim());
      return v < 0 ? Long.MAX_VALUE : v;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static String describe(@Nullable Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null || m.isEmpty() ? "" : ": " + m);
  }

  private static String encode(Map<String, String> query) {
    if (query.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder("?");
    query.forEach(
        (k, v) -> {
          if (s.length() > 1) {
            s.append('&');
          }
          s.append(URLEncoder.encode(k, StandardCharsets.UTF_8))
              .append('=')
              .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
    return s.toString();
  }
}
