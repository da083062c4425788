package dev.meshwork.smi;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * SMI weights: reading them (integers, decimals and Kubernetes quantities, in every apiVersion,
 * since a cluster may serve a v1alpha1 {@code 500m} through v1alpha2 unconverted) and turning
 * relative decimal weights into the core's integer weights without changing their ratios.
 */
final class Weights {

  static final String EXPECTED = "a non-negative integer or quantity";

  /** Integer weights are kept as written while their sum fits comfortably in an int. */
  private static final BigInteger EXACT_LIMIT = BigInteger.valueOf(1_000_000_000L);

  private static final BigDecimal RESOLUTION = BigDecimal.valueOf(1_000_000L);

  private Weights() {}

  /** Reads one weight; a non-number, a non-finite or a negative value is an error. */
  static BigDecimal read(Node node) {
    Object raw = node.value();
    BigDecimal weight = null;
    if (raw instanceof Integer || raw instanceof Long) {
      weight = BigDecimal.valueOf(((Number) raw).longValue());
    } else if (raw instanceof BigInteger) {
      weight = new BigDecimal((BigInteger) raw);
    } else if (raw instanceof Double || raw instanceof Float) {
      double d = ((Number) raw).doubleValue();
      weight = Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    } else if (raw instanceof BigDecimal) {
      weight = (BigDecimal) raw;
    } else if (raw instanceof String) {
      weight = Quantity.parse((String) raw);
    }
    if (weight == null || weight.signum() < 0) {
      throw dev.meshwork.ConfigException.of(
          node.origin(), node.path(), String.valueOf(raw), EXPECTED);
    }
    return weight;
  }

  /**
   * Integer weights in the same ratios as {@code weights} (at least one of which is positive):
   * exact where the decimals allow it ({@code 1} and {@code 500m} become 1000 and 500), otherwise
   * scaled to a total of one million, with every positive weight kept at 1 or more.
   */
  static List<Integer> normalize(List<BigDecimal> weights) {
    int scale = 0;
    for (BigDecimal w : weights) {
      scale = Math.max(scale, w.stripTrailingZeros().scale());
    }
    @Nullable List<Integer> exact = scale <= 9 ? exact(weights, scale) : null;
    if (exact != null) {
      return exact;
    }
    BigDecimal total = weights.stream().reduce(BigDecimal.ZERO, BigDecimal::add);
    List<Integer> out = new ArrayList<>(weights.size());
    for (BigDecimal w : weights) {
      int scaled = w.multiply(RESOLUTION).divide(total, 0, RoundingMode.HALF_UP).intValueExact();
      out.add(w.signum() > 0 ? Math.max(1, scaled) : 0);
    }
    return out;
  }

  private static @Nullable List<Integer> exact(List<BigDecimal> weights, int scale) {
    BigInteger sum = BigInteger.ZERO;
    List<Integer> out = new ArrayList<>(weights.size());
    for (BigDecimal w : weights) {
      BigInteger i = w.movePointRight(scale).toBigIntegerExact();
      sum = sum.add(i);
      if (sum.compareTo(EXACT_LIMIT) > 0) {
        return null;
      }
      out.add(i.intValueExact());
    }
    return out;
  }
}
