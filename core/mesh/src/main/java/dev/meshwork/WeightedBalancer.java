package dev.meshwork;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** {@link Balancer#weighted()}: one random draw and a binary search over cumulative weights. */
final class WeightedBalancer extends Balancer {

  static final WeightedBalancer INSTANCE = new WeightedBalancer();

  private WeightedBalancer() {}

  @Override
  @Nullable EndpointState pick(
      EndpointSet set, @Nullable EndpointState avoid, long now, RandomSource random) {
    long[] cumulative = set.cumulativeWeights;
    long total = cumulative[cumulative.length - 1];
    for (int tries = 0; tries < 3; tries++) {
      int i = Arrays.binarySearch(cumulative, random.nextLong(total) + 1);
      EndpointState s = set.states[i >= 0 ? i : -i - 1];
      if (s != avoid && s.isAdmitting()) {
        return s;
      }
    }
    return scan(set, avoid, random);
  }

  @Override
  public String toString() {
    return "weighted";
  }
}
