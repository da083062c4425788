package dev.meshwork.consul.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A {@code service-resolver} config entry, validated as Consul validates it: subset names are DNS
 * labels with filters we can evaluate, {@code DefaultSubset} exists, {@code Redirect} and {@code
 * Failover} exclude each other, failover keys are {@code *} or subsets, timeouts are not negative.
 */
public record ServiceResolver(
    String name,
    String defaultSubset,
    Map<String, SubsetDef> subsets,
    @Nullable Redirect redirect,
    Map<String, Failover> failover,
    @Nullable Duration connectTimeout,
    @Nullable Duration requestTimeout,
    String loadBalancerPolicy,
    Json at) {

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** A subset: its filter compiled, and whether warning instances are left out. */
  public record SubsetDef(FilterExpression filter, boolean onlyPassing) {}

  /** {@code Redirect}; empty strings for absent fields. */
  public record Redirect(
      String service,
      String serviceSubset,
      String namespace,
      String partition,
      String datacenter,
      String peer,
      String samenessGroup,
      Json at) {}

  /**
   * {@code Failover[key]}: where requests go when the subset has no healthy instance. Either the
   * legacy form ({@code Service}, {@code ServiceSubset}, {@code Namespace}, {@code Datacenters}),
   * or {@code Targets}, or a {@code SamenessGroup}; empty strings for absent fields.
   */
  public record Failover(
      String service,
      String serviceSubset,
      String namespace,
      List<String> datacenters,
      List<FailoverTarget> targets,
      String samenessGroup,
      Json at) {}

  /** One of {@code Failover[key].Targets}; empty strings for absent fields. */
  public record FailoverTarget(
      String service,
      String serviceSubset,
      String namespace,
      String partition,
      String datacenter,
      String peer,
      Json at) {}

  public static ServiceResolver parse(String name, Json json) {
    json.requireObject();
    Map<String, SubsetDef> subsets = new LinkedHashMap<>();
    json.object("Subsets")
        .forEach(
            (subset, def) -> {
              if (!DNS_LABEL.matcher(subset).matches()) {
                throw def.error("a subset name that is a DNS label (lower case, digits, '-')");
              }
              def.requireObject();
              Json filter = def.field("Filter");
              String text = def.string("Filter", "");
              subsets.put(
                  subset,
                  new SubsetDef(
                      FilterExpression.parse(text, filter), def.bool("OnlyPassing", false)));
            });
    String defaultSubset = json.string("DefaultSubset", "");
    if (!defaultSubset.isEmpty() && !subsets.containsKey(defaultSubset)) {
      throw json.field("DefaultSubset").error("one of the Subsets " + subsets.keySet());
    }
    Redirect redirect = null;
    Json r = json.field("Redirect");
    if (!r.isAbsent()) {
      r.requireObject();
      redirect =
          new Redirect(
              r.string("Service", ""),
              r.string("ServiceSubset", ""),
              r.string("Namespace", ""),
              r.string("Partition", ""),
              r.string("Datacenter", ""),
              r.string("Peer", ""),
              r.string("SamenessGroup", ""),
              r);
      if (redirect.service().isEmpty()
          && redirect.serviceSubset().isEmpty()
          && redirect.namespace().isEmpty()
          && redirect.partition().isEmpty()
          && redirect.datacenter().isEmpty()
          && redirect.peer().isEmpty()
          && redirect.samenessGroup().isEmpty()) {
        throw r.error("a redirect target (Redirect is empty)");
      }
    }
    Map<String, Failover> failover = new LinkedHashMap<>();
    json.object("Failover")
        .forEach(
            (key, f) -> {
              if (!key.equals("*") && !subsets.containsKey(key)) {
                throw f.error(
                    "a Failover key that is \"*\" or one of the Subsets " + subsets.keySet());
              }
              failover.put(key, parseFailover(f));
            });
    if (redirect != null && !failover.isEmpty()) {
      throw json.field("Failover")
          .error("no Failover when Redirect is set (they exclude each other)");
    }
    String policy = json.field("LoadBalancer").string("Policy", "");
    return new ServiceResolver(
        name,
        defaultSubset,
        java.util.Collections.unmodifiableMap(subsets),
        redirect,
        java.util.Collections.unmodifiableMap(failover),
        json.duration("ConnectTimeout", null),
        json.duration("RequestTimeout", null),
        policy,
        json);
  }

  /** Validated as Consul does: not empty, and {@code Targets} only on its own. */
  private static Failover parseFailover(Json f) {
    f.requireObject();
    List<FailoverTarget> targets = new ArrayList<>();
    for (Json t : f.array("Targets")) {
      t.requireObject();
      targets.add(
          new FailoverTarget(
              t.string("Service", ""),
              t.string("ServiceSubset", ""),
              t.string("Namespace", ""),
              t.string("Partition", ""),
              t.string("Datacenter", ""),
              t.string("Peer", ""),
              t));
    }
    Failover failover =
        new Failover(
            f.string("Service", ""),
            f.string("ServiceSubset", ""),
            f.string("Namespace", ""),
            List.copyOf(f.strings("Datacenters")),
            List.copyOf(targets),
            f.string("SamenessGroup", ""),
            f);
    boolean legacy =
        !failover.service().isEmpty()
            || !failover.serviceSubset().isEmpty()
            || !failover.namespace().isEmpty()
            || !failover.datacenters().isEmpty();
    if (!targets.isEmpty() && legacy) {
      throw f.field("Targets")
          .error("Targets alone (they exclude Service, ServiceSubset, Namespace and Datacenters)");
    }
    if (!legacy && targets.isEmpty() && failover.samenessGroup().isEmpty()) {
      throw f.error(
          "one of Service, ServiceSubset, Namespace, Targets, SamenessGroup or Datacenters");
    }
    return failover;
  }

  /** Subset names, for messages. */
  public List<String> subsetNames() {
    return new ArrayList<>(subsets.keySet());
  }
}
