package dev.meshwork;

import org.jspecify.annotations.Nullable;

/** {@link Balancer#roundRobin()}: one shared cursor per backend. */
final class RoundRobinBalancer extends Balancer {

  static final RoundRobinBalancer INSTANCE = new RoundRobinBalancer();

  private RoundRobinBalancer() {}

  @Override
  @Nullable EndpointState pick(
      EndpointSet set, @Nullable EndpointState avoid, long now, RandomSource random) {
    EndpointState[] states = set.states;
    int n = states.length;
    for (int k = 0; k < n; k++) {
      EndpointState s = states[(set.cursor.getAndIncrement() & Integer.MAX_VALUE) % n];
      if (s != avoid && s.isAdmitting()) {
        return s;
      }
    }
    return avoid != null && avoid.isAdmitting() ? avoid : null;
  }

  @Override
  public String toString() {
    return "roundRobin";
  }
}
