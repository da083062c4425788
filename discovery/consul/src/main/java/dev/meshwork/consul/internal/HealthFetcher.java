package dev.meshwork.consul.internal;

import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.consul.ConsulAgent;
import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.jspecify.annotations.Nullable;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.ConsulException;
import org.kiwiproject.consul.HealthClient;
import org.kiwiproject.consul.model.ConsulResponse;
import org.kiwiproject.consul.model.health.ServiceHealth;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.kiwiproject.consul.option.QueryOptions;

/**
 * Asks {@code /v1/health/service/<name>} through consul-client's {@link HealthClient}, one
 * synchronous call per query on a thread of {@code executor} (synchronous calls are not limited by
 * OkHttp's per-host dispatcher cap, so every service keeps its own watch). consul-client's
 * read-timeout interceptor sizes each call's timeout as {@code wait + wait/16 + 2s}; {@link
 * HealthInterceptor} caps bodies, adds the partition, and remembers the index so that an unreadable
 * answer still moves the watch forward. Thread-safe.
 */
public final class HealthFetcher {

  private final ConsulAgent agent;
  private final WatchSettings settings;
  private final Consul consul;
  private final HealthClient health;
  private final ExecutorService executor;

  public HealthFetcher(ConsulAgent agent, WatchSettings settings, ExecutorService executor) {
    this.agent = agent;
    this.settings = settings;
    this.executor = executor;
    Consul.Builder b =
        Consul.builder()
            .withUrl(agent.address().toString())
            .withPing(false)
            .withConnectTimeoutMillis(agent.connectTimeout().toMillis())
            .withReadTimeoutMillis(ConsulHttp.PLAIN_TIMEOUT.toMillis())
            .withConsulFailoverInterceptor(
                new HealthInterceptor(agent.maxResponseBytes(), agent.partition()));
    if (agent.token() != null) {
      b.withTokenAuth(agent.token());
    }
    if (agent.address().getScheme().equalsIgnoreCase("https")) {
      b.withHttps(true);
    }
    if (agent.sslContext() != null && agent.trustManager() != null) {
      b.withSslContext(agent.sslContext()).withTrustManager(agent.trustManager());
    }
    this.consul = b.build();
    this.health = consul.healthClient();
  }

  /** The health query for {@code service}, as a watch fetcher. */
  public BlockingWatch.Fetcher<HealthAnswer> fetcher(String service) {
    return fetcher(service, null);
  }

  /**
   * The health query for {@code service} in {@code datacenter} ({@code ?dc=}, answered through the
   * local agent), or in the agent's configured datacenter when null.
   */
  public BlockingWatch.Fetcher<HealthAnswer> fetcher(String service, @Nullable String datacenter) {
    return index ->
        CompletableFuture.supplyAsync(() -> fetch(service, datacenter, index), executor);
  }

  /** The answer's entries, or why they could not be read. */
  public record HealthAnswer(List<ServiceHealth> entries, @Nullable ConfigException error) {}

  /** The parser matching {@link #fetcher}: entries to endpoints. */
  public BlockingWatch.Parser<HealthAnswer, List<Endpoint>> parser(String service) {
    return parser(service, null);
  }

  /** The parser matching {@link #fetcher(String, String)}. */
  public BlockingWatch.Parser<HealthAnswer, List<Endpoint>> parser(
      String service, @Nullable String datacenter) {
    String origin = origin(service, datacenter);
    return reply -> {
      if (reply.body().error() != null) {
        throw reply.body().error();
      }
      return HealthEndpoints.toEndpoints(
          reply.body().entries(), origin, agent.namespace(), agent.partition());
    };
  }

  private static String origin(String service, @Nullable String datacenter) {
    return "consul /v1/health/service/" + service + (datacenter == null ? "" : "?dc=" + datacenter);
  }

  private Reply<HealthAnswer> fetch(String service, @Nullable String datacenter, long index) {
    QueryOptions options = options(datacenter, index);
    HealthInterceptor.LAST_INDEX.set(0L);
    try {
      ConsulResponse<List<ServiceHealth>> r = health.getAllServiceInstances(service, options);
      return new Reply<>(
          200, indexOf(r.getIndex()), null, new HealthAnswer(List.copyOf(r.getResponse()), null));
    } catch (ConsulException e) {
      long seen = HealthInterceptor.LAST_INDEX.get();
      ConfigException unreadable = unreadable(origin(service, datacenter), e);
      if (unreadable != null) {
        return new Reply<>(200, seen, null, new HealthAnswer(List.of(), unreadable));
      }
      String what =
          "consul "
              + agent.authority()
              + ": GET /v1/health/service/"
              + service
              + (datacenter == null ? "" : "?dc=" + datacenter);
      if (e.hasCode()) {
        throw new java.util.concurrent.CompletionException(
            new ConsulCallException(
                what + ": " + e.getCode() + " (" + RawBody.excerpt(e.getMessage()) + ")",
                e.getCode(),
                e));
      }
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new java.util.concurrent.CompletionException(
          new ConsulCallException(what + ": " + ConsulHttp.describe(cause), 0, e));
    }
  }

  private QueryOptions options(@Nullable String datacenter, long index) {
    ImmutableQueryOptions.Builder o =
        index > 0
            ? QueryOptions.blockSeconds(waitSeconds(), BigInteger.valueOf(index))
            : ImmutableQueryOptions.builder();
    if (datacenter != null) {
      o.datacenter(datacenter);
    } else if (agent.datacenter() != null) {
      o.datacenter(agent.datacenter());
    }
    if (agent.namespace() != null) {
      o.namespace(agent.namespace());
    }
    return o.build();
  }

  /** consul-client sends whole seconds ({@code "300s"}), which its timeout interceptor reads. */
  private int waitSeconds() {
    long millis = settings.blockFor().toMillis();
    return (int) Math.max(1, (millis + 999) / 1000);
  }

  private static long indexOf(@Nullable BigInteger index) {
    if (index == null || index.signum() <= 0) {
      return 0;
    }
    return index.bitLength() > 63 ? Long.MAX_VALUE : index.longValue();
  }

  /** A config error when the answer arrived but could not be read; null for transport failures. */
  private @Nullable ConfigException unreadable(String origin, ConsulException e) {
    JsonMappingException mapping = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof HealthInterceptor.OversizeException) {
        return ConfigException.of(
            origin,
            "",
            ((HealthInterceptor.OversizeException) t).bytes() + " bytes",
            "a response of at most " + agent.maxResponseBytes() + " bytes; it was not read");
      }
      if (t instanceof StreamReadException) {
        StreamReadException j = (StreamReadException) t;
        return ConfigException.of(
            origin, "", "(body)", "valid JSON (" + j.getOriginalMessage() + ")", j);
      }
      if (t instanceof JsonMappingException && mapping == null) {
        mapping = (JsonMappingException) t;
      }
    }
    return mapping == null ? null : mapping(origin, mapping);
  }

  private static ConfigException mapping(String origin, JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        path.append('[').append(r.getIndex()).append(']');
      }
    }
    Object value = "(value)";
    String expected = "a value of the right type";
    if (e instanceof InvalidFormatException) {
      value = String.valueOf(((InvalidFormatException) e).getValue());
    }
    if (e instanceof MismatchedInputException
        && ((MismatchedInputException) e).getTargetType() != null) {
      expected =
          "a value of type " + ((MismatchedInputException) e).getTargetType().getSimpleName();
    }
    return ConfigException.of(
        origin, path.toString(), value, expected + " (" + e.getOriginalMessage() + ")", e);
  }

  /** Releases consul-client's connection pool. */
  public void close() {
    consul.destroy();
  }
}
