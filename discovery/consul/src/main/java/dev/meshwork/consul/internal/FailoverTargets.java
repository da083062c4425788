package dev.meshwork.consul.internal;

import dev.meshwork.Backend;
import dev.meshwork.ServiceConfig;
import dev.meshwork.consul.internal.ServiceResolver.Failover;
import dev.meshwork.consul.internal.ServiceResolver.FailoverTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Compiles a service-resolver's {@code Failover} into core failover targets ({@link
 * ServiceConfig.Builder#failover}): per key ({@code *} or a subset), the targets in Consul's order,
 * each resolved through its own resolver (redirect, default subset) as a route destination would
 * be. {@code Datacenters} are tried in list order, {@code Targets} in theirs. A target in another
 * datacenter becomes a backend of that datacenter's instances (see {@link RemoteServices}); the
 * caller's {@link Resolver} decides how it is named and watched.
 *
 * <p>As in Consul's chain compiler, a target that keeps the same service and names no subset keeps
 * the subset that failed: {@code Failover{"v1": {Datacenters: ["dc2"]}}} fails over to {@code v1}
 * in dc2. Because core keys failover by subset, a {@code *} entry with such targets is also
 * compiled once for every subset without its own key.
 *
 * <p>Targets behind a cluster peer, in another admin partition, or named by a sameness group are
 * not supported. They are left out with a warning rather than rejected, because a failover target
 * is only a fallback: leaving one out can cost availability while the primary has no healthy
 * instance, but never sends traffic anywhere the entry did not allow. The other targets keep their
 * relative order. Stateless.
 */
final class FailoverTargets {

  /** Resolves a failover destination the way a route destination is resolved. */
  interface Resolver {
    /**
     * @param datacenter the target's datacenter, or null for the local one
     */
    Backend resolve(
        String service,
        String namespace,
        @Nullable String subset,
        @Nullable String datacenter,
        Json at);
  }

  private FailoverTargets() {}

  /**
   * @param localDatacenter the datacenter the agent was told to query, or null for its own; a
   *     target naming it counts as local
   * @param warn receives the place in the document and what was left out
   */
  static Map<String, List<Backend>> compile(
      ServiceResolver resolver,
      @Nullable String localDatacenter,
      Resolver resolve,
      BiConsumer<Json, String> warn) {
    Map<String, List<Backend>> out = new LinkedHashMap<>();
    resolver
        .failover()
        .forEach(
            (key, f) -> {
              List<Backend> targets =
                  targets(resolver.name(), key, f, localDatacenter, resolve, warn);
              if (!targets.isEmpty()) {
                out.put(key, targets);
              }
            });
    Failover any = resolver.failover().get(ServiceConfig.ANY_SUBSET);
    if (any != null) {
      BiConsumer<Json, String> warned = (at, what) -> {}; // said once, for "*" itself
      for (String subset : resolver.subsets().keySet()) {
        if (!resolver.failover().containsKey(subset)) {
          List<Backend> targets =
              targets(resolver.name(), subset, any, localDatacenter, resolve, warned);
          if (!targets.isEmpty() && !targets.equals(out.get(ServiceConfig.ANY_SUBSET))) {
            out.put(subset, targets);
          }
        }
      }
    }
    return out;
  }

  private static List<Backend> targets(
      String self,
      String key,
      Failover f,
      @Nullable String localDatacenter,
      Resolver resolve,
      BiConsumer<Json, String> warn) {
    List<Backend> out = new ArrayList<>();
    if (!f.samenessGroup().isEmpty()) {
      warn.accept(
          f.at().field("SamenessGroup"),
          "is not supported (meshwork fails over to services of the local partition, in this"
              + " or another datacenter, only); ignored");
    }
    String failed = key.equals(ServiceConfig.ANY_SUBSET) ? "" : key;
    for (FailoverTarget t : f.targets()) {
      String why = unsupported(t.peer(), t.partition());
      if (why != null) {
        warn.accept(t.at(), why);
        continue;
      }
      String service = service(t.service(), self);
      add(
          out,
          resolve,
          service,
          t.namespace(),
          subset(t.serviceSubset(), service, t.namespace(), self, failed),
          remote(t.datacenter(), localDatacenter),
          t.at());
    }
    if (f.targets().isEmpty() && f.samenessGroup().isEmpty()) {
      String service = service(f.service(), self);
      String subset = subset(f.serviceSubset(), service, f.namespace(), self, failed);
      if (f.datacenters().isEmpty()) {
        add(out, resolve, service, f.namespace(), subset, null, f.at());
      }
      for (String dc : f.datacenters()) {
        add(out, resolve, service, f.namespace(), subset, remote(dc, localDatacenter), f.at());
      }
    }
    return out;
  }

  private static void add(
      List<Backend> out,
      Resolver resolve,
      String service,
      String namespace,
      String subset,
      @Nullable String datacenter,
      Json at) {
    Backend b =
        resolve.resolve(service, namespace, subset.isEmpty() ? null : subset, datacenter, at);
    if (!out.contains(b)) {
      out.add(b);
    }
  }

  private static String service(String named, String self) {
    return named.isEmpty() ? self : named;
  }

  /** The target's subset: the one named, else the one that failed when the service is the same. */
  private static String subset(
      String named, String service, String namespace, String self, String failed) {
    if (!named.isEmpty()) {
      return named;
    }
    return service.equals(self) && namespace.isEmpty() ? failed : "";
  }

  /** The target's datacenter, or null when it is the local one. */
  private static @Nullable String remote(String datacenter, @Nullable String localDatacenter) {
    return datacenter.isEmpty() || datacenter.equals(localDatacenter) ? null : datacenter;
  }

  /** Why a target is out of reach, or null when it is in the local partition and no peer's. */
  private static @Nullable String unsupported(String peer, String partition) {
    if (!peer.isEmpty()) {
      return "Peer \""
          + peer
          + "\" is not supported (meshwork fails over to services of the local partition, in"
          + " this or another datacenter, only); ignored";
    }
    if (!partition.isEmpty() && !partition.equals("default")) {
      return "Partition \""
          + partition
          + "\" is not supported (meshwork fails over within the local partition only); ignored";
    }
    return null;
  }
}
