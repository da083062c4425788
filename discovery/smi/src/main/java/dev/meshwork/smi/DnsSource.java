package dev.meshwork.smi;

import dev.meshwork.Endpoint;
import dev.meshwork.MeshSource;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from DNS: every A and AAAA record of a host name becomes an endpoint of a service, at a
 * fixed port, re-resolved on an interval. A lookup that fails keeps the endpoints of the last one
 * that worked (and is reported through {@link dev.meshwork.MeshListener#sourceFailed}); an answer
 * that changes is published at once.
 *
 * <p>Lookups run on the source's own daemon thread (they block), timed by the mesh's scheduler. The
 * default resolver is {@link InetAddress#getAllByName}, so the JVM's DNS cache ({@code
 * networkaddress.cache.ttl}, 30 s by default) bounds how fast a change can be seen. Thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(SmiFileSource.watching(Path.of("config/mesh")))
 *     .source(DnsSource.builder()
 *         .service("reviews-v1", "reviews-v1.internal.example.com", 8080)
 *         .service("reviews-v2", "reviews-v2.internal.example.com", 8080)
 *         .build())
 *     .build();
 * }</pre>
 */
public final class DnsSource implements MeshSource {

  /** Resolves a host name to all its addresses; throws when it cannot. */
  @FunctionalInterface
  public interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;

    /** The JVM's resolver, {@link InetAddress#getAllByName}. */
    static Resolver system() {
      return host -> List.of(InetAddress.getAllByName(host));
    }
  }

  private record Target(String service, String host, int port) {}

  private final List<Target> targets;
  private final Duration interval;
  private final Resolver resolver;
  private final @Nullable Executor givenExecutor;
  private final @Nullable String namespace;
  private final Map<ServiceName, List<Endpoint>> published = new LinkedHashMap<>();
  private final Set<ServiceName> failing = new HashSet<>();
  private @Nullable ExecutorService ownExecutor;
  private @Nullable ScheduledFuture<?> timer;
  private @Nullable SourceContext context;
  private boolean ready;
  private volatile boolean closed;

  private DnsSource(Builder b) {
    this.targets = List.copyOf(b.targets);
    this.interval = b.interval;
    this.resolver = b.resolver;
    this.givenExecutor = b.executor;
    this.namespace = b.namespace;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return "dns";
  }

  @Override
  public synchronized void start(SourceContext context) {
    this.context = context;
    Executor lookups = givenExecutor;
    if (lookups == null) {
      ExecutorService own =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "meshwork-dns");
                t.setDaemon(true);
                return t;
              });
      ownExecutor = own;
      lookups = own;
    }
    Executor run = lookups;
    timer =
        context
            .scheduler()
            .scheduleWithFixedDelay(
                () -> run.execute(this::resolveAll), 0, interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void resolveAll() {
    if (closed) {
      return;
    }
    // Group by service: several host names may feed one service.
    Map<ServiceName, List<Endpoint>> next = new TreeMap<>();
    Map<ServiceName, Throwable> errors = new LinkedHashMap<>();
    SourceContext ctx = Objects.requireNonNull(context);
    String ns = namespace != null ? namespace : ctx.defaultNamespace();
    for (Target t : targets) {
      ServiceName service = ServiceName.parse(t.service(), ns);
      List<Endpoint> endpoints = next.computeIfAbsent(service, s -> new ArrayList<>());
      try {
        for (InetAddress a : resolver.resolve(t.host())) {
          Endpoint e = Endpoint.of(a.getHostAddress(), t.port()).withLabel("dns", t.host());
          if (!endpoints.contains(e)) {
            endpoints.add(e);
          }
        }
      } catch (UnknownHostException | RuntimeException e) {
        errors.put(service, e);
      }
    }
    apply(ctx, next, errors);
  }

  private synchronized void apply(
      SourceContext ctx,
      Map<ServiceName, List<Endpoint>> next,
      Map<ServiceName, Throwable> errors) {
    for (Map.Entry<ServiceName, List<Endpoint>> e : next.entrySet()) {
      ServiceName service = e.getKey();
      Throwable error = errors.get(service);
      if (error != null) {
        // Keep what the last good answer said.
        if (failing.isEmpty()) {
          ctx.reportFailure(error);
        }
        failing.add(service);
        continue;
      }
      List<Endpoint> endpoints = List.copyOf(e.getValue());
      if (!endpoints.equals(published.get(service))) {
        published.put(service, endpoints);
        ctx.publishEndpoints(service, endpoints);
      }
      if (failing.remove(service) && failing.isEmpty()) {
        ctx.reportRecovered();
      }
    }
    if (!ready) {
      ready = true;
      ctx.ready();
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (timer != null) {
      timer.cancel(false);
    }
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "DnsSource" + targets;
  }

  /** Configures a {@link DnsSource}. Not thread-safe. */
  public static final class Builder {
    private final List<Target> targets = new ArrayList<>();
    private Duration interval = Duration.ofSeconds(30);
    private Resolver resolver = Resolver.system();
    private @Nullable Executor executor;
    private @Nullable String namespace;

    private Builder() {}

    /**
     * The addresses of {@code host} are endpoints of {@code service} (parsed as by {@link
     * ServiceName#parse(String)}) at {@code port}. Several hosts may feed one service.
     */
    public Builder service(String service, String host, int port) {
      ServiceName.parse(Objects.requireNonNull(service, "service"));
      if (Objects.requireNonNull(host, "host").isEmpty()) {
        throw new IllegalArgumentException("dns host: \"\" (expected a host name)");
      }
      Endpoint.of("127.0.0.1", port); // validates the port
      targets.add(new Target(service, host, port));
      return this;
    }

    /** How often names are resolved again; default 30 s. */
    public Builder interval(Duration interval) {
      this.interval = SmiFileSource.Builder.positive(interval, "interval");
      return this;
    }

    /** The resolver; tests pass a fake one. Default {@link Resolver#system()}. */
    public Builder resolver(Resolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /** Where lookups run; default a daemon thread of the source's own. */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** The namespace of services named without one; default the mesh's default namespace. */
    public Builder namespace(String namespace) {
      this.namespace = ServiceName.of("x", namespace).namespace();
      return this;
    }

    public DnsSource build() {
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("dns services: [] (expected at least one service)");
      }
      return new DnsSource(this);
    }
  }
}
