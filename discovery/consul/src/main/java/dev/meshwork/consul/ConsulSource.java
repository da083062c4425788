package dev.meshwork.consul;

import dev.meshwork.AccessRule;
import dev.meshwork.MeshSource;
import dev.meshwork.SourceContext;
import dev.meshwork.consul.internal.ConsulWatcher;
import dev.meshwork.consul.internal.WatchSettings;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Consul as a mesh source. For every service the mesh routes, every service named here, and every
 * service the config entries send requests to (route and split destinations, redirect and failover
 * targets), it watches, each with its own blocking query:
 *
 * <ul>
 *   <li>{@code /v1/health/service/<name>}: instances become endpoints, weighted by Consul's rule
 *       ({@code Weights.Passing}, {@code Weights.Warning} while a check warns, critical instances
 *       left out), labelled with their tags and meta so resolver subsets can select them;
 *   <li>{@code /v1/config/service-router|service-splitter|service-resolver/<name>}: compiled into
 *       routes (with their path rewrites and retry policies), weighted splits, subsets and failover
 *       targets, as Consul's discovery chain would be;
 *   <li>{@code /v1/health/service/<name>?dc=<dc>}, through the local agent, for every service a
 *       resolver fails over to in another datacenter ({@code Failover.Datacenters} or {@code
 *       Targets[].Datacenter}): those instances become endpoints of a service of their own, named
 *       {@code <name>__<dc>} ({@code reviews__dc2.default}, {@code reviews__dc2.default/v1} for a
 *       subset, as metrics and events show it), with the subsets of {@code <name>}'s resolver.
 *       Failover follows Consul's order: the datacenters in list order, the targets in theirs, once
 *       the primary has no healthy instance; traffic returns as soon as it has one again. The watch
 *       starts when an entry names the target and stops (its endpoints removed) when none does;
 * </ul>
 *
 * and, for the {@linkplain Builder#intentionsFor local services} named, their intentions as access
 * rules. It also watches the Connect CA roots ({@code /v1/agent/connect/ca/roots}) so that every
 * endpoint carries the identity its instance must present over mTLS, {@code
 * spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<service>} (see {@link Builder#endpointIdentities}).
 * Blocking queries follow Consul's client rules (index resets, no hot loop, rate limit); when
 * Consul is unreachable or answers 5xx, the last endpoints and configuration stay, the failure is
 * reported to the mesh's listener, and the watch retries with jittered backoff until Consul answers
 * again. Invalid entries are rejected with a {@link dev.meshwork.ConfigException} naming the Consul
 * path, field and value; the last good configuration stays.
 *
 * <p>Thread-safe; start it once, through {@link dev.meshwork.Mesh.Builder#source}.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(ConsulSource.builder(ConsulAgent.local())
 *         .services("web", "api")
 *         .intentionsFor("web")
 *         .build())
 *     .build();
 * mesh.awaitReady(Duration.ofSeconds(10));
 * }</pre>
 */
public final class ConsulSource implements MeshSource {

  private final ConsulWatcher.Options options;
  private volatile @Nullable ConsulWatcher watcher;

  private ConsulSource(ConsulWatcher.Options options) {
    this.options = options;
  }

  public static Builder builder(ConsulAgent agent) {
    return new Builder(agent);
  }

  @Override
  public String name() {
    return "consul " + options.agent().authority();
  }

  @Override
  public synchronized void start(SourceContext context) {
    if (watcher != null) {
      throw new IllegalStateException(name() + " was already started");
    }
    ConsulWatcher w = new ConsulWatcher(options, context);
    watcher = w;
    w.start();
  }

  /** The services watched now: those named here and those the mesh routes. */
  public Set<String> watchedServices() {
    ConsulWatcher w = watcher;
    return w == null ? Set.of() : w.watchedServices();
  }

  /**
   * The services of other datacenters watched now for failover, by the mesh's name for them ({@code
   * reviews__dc2.default}).
   */
  public Set<dev.meshwork.ServiceName> watchedRemoteServices() {
    ConsulWatcher w = watcher;
    return w == null ? Set.of() : w.watchedRemoteServices();
  }

  /**
   * What the config entries ask for that meshwork does not do (for example failover to a cluster
   * peer, another admin partition or a sameness group, or {@code ResponseHeaders}); each is also
   * logged once as a warning.
   */
  public Set<String> warnings() {
    ConsulWatcher w = watcher;
    return w == null ? Set.of() : w.warnings();
  }

  @Override
  public void close() {
    ConsulWatcher w = watcher;
    if (w != null) {
      w.close();
    }
  }

  @Override
  public String toString() {
    return "ConsulSource{" + options.agent() + ", services=" + options.services() + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final ConsulAgent agent;
    private final Set<String> services = new LinkedHashSet<>();
    private final Set<String> intentionsFor = new LinkedHashSet<>();
    private boolean configEntries = true;
    private boolean endpointIdentities = true;
    private AccessRule.@Nullable Action defaultIntentionPolicy;
    private @Nullable String namespace;
    private WatchSettings settings = WatchSettings.defaults();

    private Builder(ConsulAgent agent) {
      this.agent = Objects.requireNonNull(agent, "agent");
    }

    /** Services to watch whether or not the mesh routes them yet. */
    public Builder services(String... services) {
      Arrays.stream(services)
          .map(s -> Objects.requireNonNull(s, "service"))
          .forEach(this.services::add);
      return this;
    }

    /**
     * Services this application serves: their intentions become access rules for inbound
     * enforcement.
     */
    public Builder intentionsFor(String... services) {
      intentionsFor.addAll(Arrays.asList(services));
      return this;
    }

    /** Whether to read service-router, -splitter and -resolver entries; default true. */
    public Builder configEntries(boolean configEntries) {
      this.configEntries = configEntries;
      return this;
    }

    /**
     * Whether endpoints carry the SPIFFE ID that Consul Connect's CA issues to their service, so
     * that mTLS can check each peer's identity; default true. The trust domain comes from the CA
     * roots' {@code TrustDomain}; the namespace is the one queried ({@code default} without one),
     * the datacenter the instance's node's. On a cluster without Connect (the agent answers 500
     * "Connect must be enabled"), endpoints carry no identity and no failure is reported.
     */
    public Builder endpointIdentities(boolean endpointIdentities) {
      this.endpointIdentities = endpointIdentities;
      return this;
    }

    /**
     * What intentions decide when none matches. By default Consul's answer header {@code
     * X-Consul-Default-Acl-Policy}, or allow when it sends none (ACLs disabled).
     */
    public Builder defaultIntentionPolicy(AccessRule.Action action) {
      this.defaultIntentionPolicy = Objects.requireNonNull(action, "action");
      return this;
    }

    /** The mesh namespace of Consul's services; default the agent's namespace, else the mesh's. */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    /**
     * How long one blocking query may hang ({@code wait}); default 5 minutes, at most 10. The
     * client waits {@code wait + wait/16 + 2s} for the answer, to allow for Consul's jitter.
     */
    public Builder wait(Duration wait) {
      settings =
          new WatchSettings(
              wait,
              settings.burst(),
              settings.interval(),
              settings.backoffBase(),
              settings.backoffMax());
      return this;
    }

    /**
     * Rate limit per watch: {@code burst} queries back to back, then one per {@code interval};
     * default 2 and 15 s. Only queries that return at once ever wait.
     */
    public Builder rateLimit(int burst, Duration interval) {
      settings =
          new WatchSettings(
              settings.blockFor(), burst, interval, settings.backoffBase(), settings.backoffMax());
      return this;
    }

    /** Backoff after failures: from {@code base}, doubling, jittered, up to {@code max}. */
    public Builder backoff(Duration base, Duration max) {
      settings =
          new WatchSettings(settings.blockFor(), settings.burst(), settings.interval(), base, max);
      return this;
    }

    public ConsulSource build() {
      String ns = namespace != null ? namespace : agent.namespace();
      return new ConsulSource(
          new ConsulWatcher.Options(
              agent,
              settings,
              Set.copyOf(services),
              configEntries,
              Set.copyOf(intentionsFor),
              defaultIntentionPolicy,
              ns,
              endpointIdentities));
    }
  }
}
