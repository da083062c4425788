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
 * ServiceConfig.Builder#failover}): per key ({@code *} or a subset), the targets in Consul's order
 * that are services or subsets in the local datacenter and admin partition, each resolved through
 * its own resolver (redirect, default subset) as a route destination would be.
 *
 * <p>Targets in another datacenter, behind a cluster peer, in another admin partition, or named by
 * a sameness group are not supported: meshwork only sees the local datacenter's health. They are
 * left out with a warning rather than rejected, because a failover target is only a fallback:
 * leaving one out can cost availability while the primary has no healthy instance, but never sends
 * traffic anywhere the entry did not allow. The local targets keep their relative order. Stateless.
 */
final class FailoverTargets {

  /** Resolves a failover destination the way a route destination is resolved. */
  interface Resolver {
    Backend resolve(String service, String namespace, @Nullable String subset, Json at);
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
              List<Backend> targets = targets(resolver.name(), f, localDatacenter, resolve, warn);
              if (!targets.isEmpty()) {
                out.put(key, targets);
              }
            });
    return out;
  }

  private static List<Backend> targets(
      String self,
      Failover f,
      @Nullable String localDatacenter,
      Resolver resolve,
      BiConsumer<Json, String> warn) {
    List<Backend> out = new ArrayList<>();
    if (!f.samenessGroup().isEmpty()) {
      warn.accept(
          f.at().field("SamenessGroup"),
          "is not supported (meshwork fails over within the local datacenter only); ignored");
    }
    for (FailoverTarget t : f.targets()) {
      String why = remote(t.datacenter(), t.peer(), t.partition(), localDatacenter);
      if (why != null) {
        warn.accept(t.at(), why);
        continue;
      }
      add(out, resolve, service(t.service(), self), t.namespace(), t.serviceSubset(), t.at());
    }
    if (f.targets().isEmpty() && f.samenessGroup().isEmpty()) {
      String service = service(f.service(), self);
      if (f.datacenters().isEmpty()) {
        add(out, resolve, service, f.namespace(), f.serviceSubset(), f.at());
      }
      for (int i = 0; i < f.datacenters().size(); i++) {
        String dc = f.datacenters().get(i);
        String why = remote(dc, "", "", localDatacenter);
        if (why != null) {
          warn.accept(f.at().array("Datacenters").get(i), why);
        } else {
          add(out, resolve, service, f.namespace(), f.serviceSubset(), f.at());
        }
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
      Json at) {
    Backend b = resolve.resolve(service, namespace, subset.isEmpty() ? null : subset, at);
    if (!out.contains(b)) {
      out.add(b);
    }
  }

  private static String service(String named, String self) {
    return named.isEmpty() ? self : named;
  }

  /** Why a target is out of reach, or null when it is in the local datacenter and partition. */
  private static @Nullable String remote(
      String datacenter, String peer, String partition, @Nullable String localDatacenter) {
    if (!peer.isEmpty()) {
      return "Peer \""
          + peer
          + "\" is not supported (meshwork fails over within the local"
          + " datacenter only); ignored";
    }
    if (!datacenter.isEmpty() && !datacenter.equals(localDatacenter)) {
      return "Datacenter \""
          + datacenter
          + "\" is not supported (meshwork fails over within the local datacenter only); ignored";
    }
    if (!partition.isEmpty() && !partition.equals("default")) {
      return "Partition \""
          + partition
          + "\" is not supported (meshwork fails over within the local partition only); ignored";
    }
    return null;
  }
}
