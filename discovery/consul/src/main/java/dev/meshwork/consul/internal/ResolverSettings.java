package dev.meshwork.consul.internal;

import dev.meshwork.Balancer;
import dev.meshwork.ServiceConfig;
import dev.meshwork.Subset;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The parts of a service-resolver that set up its own service: subsets (with {@code OnlyPassing}
 * leaving warning instances out), the request timeout and the balancer. A {@code ConnectTimeout}
 * belongs to the client's transport and consistent-hash balancing has no core equivalent; both are
 * reported as warnings. Stateless.
 */
final class ResolverSettings {

  private ResolverSettings() {}

  static void apply(
      ServiceResolver resolver, ServiceConfig.Builder b, BiConsumer<Json, String> warn) {
    resolver
        .subsets()
        .forEach(
            (subset, def) -> {
              var filter = def.filter().predicate();
              b.subset(
                  Subset.matching(
                      subset,
                      def.filter().text() + (def.onlyPassing() ? " (only passing)" : ""),
                      def.onlyPassing()
                          ? e -> "passing".equals(e.label(EndpointLabels.HEALTH)) && filter.test(e)
                          : filter));
            });
    b.timeout(ChainCompiler.positive(resolver.requestTimeout()));
    b.balancer(balancer(resolver, warn));
    if (resolver.connectTimeout() != null) {
      warn.accept(
          resolver.at().field("ConnectTimeout"),
          "is set on the client's transport, not by the mesh; ignored");
    }
  }

  private static @Nullable Balancer balancer(ServiceResolver r, BiConsumer<Json, String> warn) {
    switch (r.loadBalancerPolicy()) {
      case "":
        return null;
      case "least_request":
        return Balancer.p2cPeakEwma();
      case "random":
      case "round_robin":
        return Balancer.weighted();
      default:
        warn.accept(
            r.at().field("LoadBalancer").field("Policy"),
            "is not supported (no consistent hashing); the mesh's default balancer is used");
        return null;
    }
  }
}
