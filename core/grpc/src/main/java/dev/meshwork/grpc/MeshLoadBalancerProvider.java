package dev.meshwork.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver;
import java.util.Map;

/**
 * The {@code meshwork} load balancing policy: one connection per endpoint, and for every RPC the
 * endpoint the mesh's balancer (P2C over peak-EWMA by default) chooses. Named by the service config
 * that the {@code mesh:///} resolver returns; registered in {@code META-INF/services}.
 *
 * <p>Thread-safe; stateless.
 *
 * <pre>{@code
 * builder.defaultLoadBalancingPolicy(MeshLoadBalancerProvider.POLICY_NAME);
 * }</pre>
 */
public final class MeshLoadBalancerProvider extends LoadBalancerProvider {

  /** The policy's name in service configs. */
  public static final String POLICY_NAME = "meshwork";

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return POLICY_NAME;
  }

  @Override
  public NameResolver.ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    return NameResolver.ConfigOrError.fromConfig(POLICY_NAME);
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new MeshLoadBalancer(helper);
  }
}
