package dev.meshwork.consul.internal;

import dev.meshwork.AccessRule;
import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import dev.meshwork.consul.ConsulAgent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * What a running {@code ConsulSource} does: one health watch and three config-entry watches per
 * service (so a change to one service wakes only its own watches), one health watch per service and
 * other datacenter that a service-resolver fails over to (published as {@code <service>__<dc>}, see
 * {@link RemoteServices}), one intentions watch per local destination, and one watch of the Connect
 * CA roots for the trust domain of endpoint identities, all publishing into the mesh through the
 * {@link SourceContext}. Services are watched while the mesh routes them, while config entries send
 * requests to them, or because they were configured explicitly. Thread-safe.
 */
public final class ConsulWatcher {

  /** What the builder of {@code ConsulSource} decided. */
  public record Options(
      ConsulAgent agent,
      WatchSettings settings,
      Set<String> services,
      boolean configEntries,
      Set<String> intentionDestinations,
      AccessRule.@Nullable Action defaultIntentionPolicy,
      @Nullable String namespace,
      boolean endpointIdentities) {}

  private static final System.Logger LOG = System.getLogger(ConsulWatcher.class.getName());
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final String ROOTS_KEY = "connect-roots:";

  private final Options options;
  private final SourceContext context;
  private final String namespace;
  private final ConsulHttp http;
  private final ExecutorService healthThreads;
  private final HealthFetcher health;
  private final EntryWatches entries;
  private final EndpointIdentities identities;
  private final Map<String, List<BlockingWatch<?, ?>>> watches = new ConcurrentHashMap<>();
  private final RemoteHealthWatches remotes;
  private final ReportingWatches reporting;
  private volatile boolean closed;

  public ConsulWatcher(Options options, SourceContext context) {
    this.options = options;
    this.context = context;
    this.namespace = options.namespace() != null ? options.namespace() : context.defaultNamespace();
    this.http = new ConsulHttp(options.agent(), options.settings());
    this.healthThreads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "meshwork-consul-health-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.health = new HealthFetcher(options.agent(), options.settings(), healthThreads);
    this.entries = new EntryWatches(context, namespace, options.agent().datacenter());
    this.identities = new EndpointIdentities(context, options.agent().datacenter());
    this.reporting = new ReportingWatches(context, options.settings());
    this.remotes = new RemoteHealthWatches(context, health, reporting, identities);
  }

  public void start() {
    List<Runnable> starts = new ArrayList<>();
    for (String service : options.services()) {
      starts.add(() -> watchService(service));
    }
    for (String destination : options.intentionDestinations()) {
      starts.add(() -> watchIntentions(destination));
    }
    if (options.endpointIdentities()) {
      starts.add(this::watchTrustDomain);
    }
    if (starts.isEmpty()) {
      reporting.markReady();
    }
    starts.forEach(Runnable::run);
    context.onServicesChanged(this::servicesChanged);
  }

  private void servicesChanged(Set<ServiceName> routed) {
    if (closed) {
      return;
    }
    Set<String> wanted = new HashSet<>(options.services());
    wanted.addAll(entries.referencedServices());
    for (ServiceName s : routed) {
      if (s.namespace().equals(namespace) && !entries.isRemote(s)) {
        wanted.add(s.name());
      }
    }
    remotes.sync(entries.remoteServices());
    for (String s : wanted) {
      watchService(s);
    }
    for (String s : new ArrayList<>(watches.keySet())) {
      if (isService(s) && !wanted.contains(s)) {
        List<BlockingWatch<?, ?>> gone = watches.remove(s);
        if (gone != null) {
          gone.forEach(BlockingWatch::close);
          entries.forget(s);
          identities.forget(ServiceName.of(s, namespace));
        }
      }
    }
  }

  private void watchService(String service) {
    if (closed || watches.containsKey(service)) {
      return;
    }
    List<BlockingWatch<?, ?>> group = new ArrayList<>();
    ServiceName name = ServiceName.of(service, namespace);
    group.add(
        watch(
            "health " + service,
            health.fetcher(service),
            health.parser(service),
            (List<Endpoint> endpoints) -> identities.publish(name, endpoints)));
    if (options.configEntries()) {
      group.add(
          entry(
              "service-router",
              service,
              ServiceRouter::parse,
              e -> referenced(() -> entries.router(service, e))));
      group.add(
          entry(
              "service-splitter",
              service,
              ServiceSplitter::parse,
              e -> referenced(() -> entries.splitter(service, e))));
      group.add(
          entry(
              "service-resolver",
              service,
              ServiceResolver::parse,
              e -> referenced(() -> entries.resolver(service, e))));
    }
    if (watches.putIfAbsent(service, group) == null) {
      group.forEach(BlockingWatch::start);
    }
  }

  /**
   * Applies an entry, then watches the services the entries now send requests to, so that a
   * destination's subset can be resolved without waiting for the mesh to route that service.
   */
  private void referenced(Runnable update) {
    update.run();
    entries.referencedServices().forEach(this::watchService);
    remotes.sync(entries.remoteServices());
  }

  private interface EntryParser<T> {
    T parse(String name, Json json);
  }

  private <T> BlockingWatch<RawBody, Maybe<T>> entry(
      String kind,
      String service,
      EntryParser<T> parser,
      java.util.function.Consumer<@Nullable T> sink) {
    String path = "/v1/config/" + kind + "/" + service;
    String origin = "consul " + path;
    return watch(
        kind + " " + service,
        index -> http.get(path, Map.of(), index, Set.of(404)),
        reply -> {
          if (reply.status() == 404) {
            return new Maybe<T>(null);
          }
          Json json = Json.parse(origin, reply.body());
          String entryKind = json.requireObject().string("Kind", kind);
          if (!entryKind.equals(kind)) {
            throw json.field("Kind").error("\"" + kind + "\"");
          }
          return new Maybe<>(parser.parse(service, json));
        },
        (Maybe<T> m) -> sink.accept(m.value()));
  }

  /** A config entry that may be absent (Consul answered 404). */
  record Maybe<T>(@Nullable T value) {}

  private void watchIntentions(String destination) {
    String key = "intentions:" + destination;
    String path = "/v1/connect/intentions/match";
    String origin = "consul " + path + "?by=destination&name=" + destination;
    BlockingWatch<RawBody, List<AccessRule>> w =
        watch(
            "intentions " + destination,
            index ->
                http.get(path, Map.of("by", "destination", "name", destination), index, Set.of()),
            reply -> {
              List<Intentions.Intention> list =
                  Intentions.parse(Json.parse(origin, reply.body()), destination);
              return Intentions.compile(namespace, destination, list, defaultPolicy(reply));
            },
            (List<AccessRule> rules) -> entries.intentions(destination, rules));
    if (watches.putIfAbsent(key, List.of(w)) == null) {
      w.start();
    }
  }

  /**
   * Watches the Connect CA roots for the trust domain of endpoint identities. An agent without
   * Connect answers 500 "Connect must be enabled"; then endpoints carry no identity, the watch
   * stops, and nothing is reported as failing.
   */
  private void watchTrustDomain() {
    String path = "/v1/agent/connect/ca/roots";
    java.util.concurrent.atomic.AtomicReference<BlockingWatch<?, ?>> self =
        new java.util.concurrent.atomic.AtomicReference<>();
    BlockingWatch<RawBody, String> w =
        reporting.watch(
            "connect roots",
            index -> http.get(path, Map.of(), index, Set.of()),
            reply -> {
              Json json = Json.parse("consul " + path, reply.body());
              return ConnectCa.trustDomain(ConnectCa.parseRoots(json), json);
            },
            identities::trustDomain,
            error -> {
              if (!ConnectCa.isConnectDisabled(error)) {
                return false;
              }
              LOG.log(
                  System.Logger.Level.INFO,
                  "consul {0}: Connect is not enabled; endpoints carry no identity",
                  options.agent().authority());
              self.get().close();
              return true;
            });
    self.set(w);
    if (watches.putIfAbsent(ROOTS_KEY, List.of(w)) == null) {
      w.start();
    }
  }

  /** Whether a key of {@link #watches} is a service's (the others are intentions and roots). */
  private static boolean isService(String key) {
    return !key.startsWith("intentions:") && !key.equals(ROOTS_KEY);
  }

  private AccessRule.Action defaultPolicy(Reply<?> reply) {
    if (options.defaultIntentionPolicy() != null) {
      return options.defaultIntentionPolicy();
    }
    String header = reply.defaultAclPolicy();
    return header != null && header.toLowerCase(Locale.ROOT).equals("deny")
        ? AccessRule.Action.DENY
        : AccessRule.Action.ALLOW;
  }

  private <R, T> BlockingWatch<R, T> watch(
      String name,
      BlockingWatch.Fetcher<R> fetcher,
      BlockingWatch.Parser<R, T> parser,
      java.util.function.Consumer<T> onChange) {
    return reporting.watch(name, fetcher, parser, onChange, error -> false);
  }

  /** The services watched now, for tests and inspection. */
  public Set<String> watchedServices() {
    Set<String> out = new HashSet<>(watches.keySet());
    out.removeIf(s -> !isService(s));
    return out;
  }

  /** The health watches of other datacenters running now, by the mesh's service name. */
  public Set<ServiceName> watchedRemoteServices() {
    return remotes.watched();
  }

  /** Warnings about config entries meshwork cannot fully honour. */
  public Set<String> warnings() {
    return entries.warnings();
  }

  public void close() {
    closed = true;
    watches.values().forEach(g -> g.forEach(BlockingWatch::close));
    watches.clear();
    remotes.close();
    healthThreads.shutdownNow();
    health.close();
  }
}
