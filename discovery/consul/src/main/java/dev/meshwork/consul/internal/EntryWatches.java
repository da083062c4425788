package dev.meshwork.consul.internal;

import dev.meshwork.AccessRule;
import dev.meshwork.ConfigException;
import dev.meshwork.MeshConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The latest good config entries and intentions of one source, compiled into one {@link MeshConfig}
 * whenever one of them changes. A new entry that does not compile with the others is rejected and
 * the last published configuration stays. Thread-safe (watch replies arrive on several threads).
 */
final class EntryWatches {

  private static final System.Logger LOG = System.getLogger(EntryWatches.class.getName());

  private final SourceContext context;
  private final String namespace;
  private final @Nullable String datacenter;
  private final Map<String, ServiceRouter> routers = new LinkedHashMap<>();
  private final Map<String, ServiceSplitter> splitters = new LinkedHashMap<>();
  private final Map<String, ServiceResolver> resolvers = new LinkedHashMap<>();
  private final Map<String, List<AccessRule>> intentions = new LinkedHashMap<>();
  private final Set<String> warned = new HashSet<>();
  private Map<ServiceName, RemoteServices.Remote> remotes = Map.of();
  private final Set<ServiceName> remoteNames = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private @Nullable MeshConfig published;

  EntryWatches(SourceContext context, String namespace, @Nullable String datacenter) {
    this.context = context;
    this.namespace = namespace;
    this.datacenter = datacenter;
  }

  synchronized void router(String service, @Nullable ServiceRouter entry) {
    put(routers, service, entry);
    compile();
  }

  synchronized void splitter(String service, @Nullable ServiceSplitter entry) {
    put(splitters, service, entry);
    compile();
  }

  synchronized void resolver(String service, @Nullable ServiceResolver entry) {
    put(resolvers, service, entry);
    compile();
  }

  synchronized void intentions(String destination, List<AccessRule> rules) {
    intentions.put(destination, rules);
    compile();
  }

  /** Forgets a service's entries (the mesh no longer routes it). */
  synchronized void forget(String service) {
    boolean changed =
        routers.remove(service) != null
            | splitters.remove(service) != null
            | resolvers.remove(service) != null;
    if (changed) {
      compile();
    }
  }

  private static <T> void put(Map<String, T> map, String key, @Nullable T value) {
    if (value == null) {
      map.remove(key);
    } else {
      map.put(key, value);
    }
  }

  private void compile() {
    ChainCompiler.Result result;
    try {
      result =
          new ChainCompiler(
                  new HashMap<>(routers),
                  new HashMap<>(splitters),
                  new HashMap<>(resolvers),
                  namespace,
                  datacenter)
              .compile();
    } catch (ConfigException e) {
      context.rejectConfig(e);
      return;
    }
    remotes = result.remotes();
    // Recorded before the mesh hears of them, so they are never mistaken for local services.
    remoteNames.addAll(remotes.keySet());
    for (String w : result.warnings()) {
      if (warned.add(w)) {
        LOG.log(System.Logger.Level.WARNING, w);
      }
    }
    MeshConfig.Builder b = MeshConfig.builder().services(result.config().services().values());
    intentions.values().forEach(b::accessRules);
    MeshConfig next = b.build();
    if (!next.equals(published)) {
      published = next;
      context.publishConfig(next);
    }
  }

  /**
   * The services of the local namespace that the entries send requests to: route and split
   * destinations, redirect and failover targets. They are watched even before the entries compile,
   * since their resolvers may be what a destination's subset needs.
   */
  synchronized Set<String> referencedServices() {
    Set<String> out = new HashSet<>();
    for (ServiceRouter r : routers.values()) {
      for (ServiceRouter.RouterRoute route : r.routes()) {
        addLocal(out, route.destination().service(), route.destination().namespace());
      }
    }
    for (ServiceSplitter s : splitters.values()) {
      for (ServiceSplitter.Split split : s.splits()) {
        addLocal(out, split.service(), split.namespace());
      }
    }
    for (ServiceResolver r : resolvers.values()) {
      if (r.redirect() != null) {
        addLocal(out, r.redirect().service(), r.redirect().namespace());
      }
      for (ServiceResolver.Failover f : r.failover().values()) {
        addLocal(out, f.service(), f.namespace());
        f.targets().forEach(t -> addLocal(out, t.service(), t.namespace()));
      }
    }
    return out;
  }

  private static void addLocal(Set<String> out, String service, String namespace) {
    if (!service.isEmpty() && namespace.isEmpty()) {
      out.add(service);
    }
  }

  /**
   * The services of other datacenters that the last configuration that compiled fails over to, by
   * their mesh name: their health is watched in that datacenter.
   */
  synchronized Map<ServiceName, RemoteServices.Remote> remoteServices() {
    return remotes;
  }

  /**
   * Whether {@code service} is (or was) the mesh's name for another datacenter's instances, rather
   * than a service of the local datacenter. Not synchronized: called on the mesh's control thread.
   */
  boolean isRemote(ServiceName service) {
    return remoteNames.contains(service);
  }

  /** The warnings of the last compilation attempt that succeeded, for tests and inspection. */
  synchronized Set<String> warnings() {
    return Set.copyOf(warned);
  }
}
