package dev.meshwork.micrometer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Prometheus text exposition parsed into samples, and the few PromQL operations Flagger's Linkerd
 * queries use, evaluated over the increase between two scrapes the way {@code rate(x[interval])}
 * sees it: {@code sum(rate(...)) / sum(rate(...))} and {@code histogram_quantile(q, sum(rate(
 * ..._bucket)) by (le))}.
 */
final class PrometheusText {

  /** One sample: a series name, its labels, its value. */
  record Sample(String name, Map<String, String> labels, double value) {
    String key() {
      return name + new TreeMap<>(labels);
    }
  }

  final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = samples;
  }

  static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      Map<String, String> labels = new LinkedHashMap<>();
      String name;
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        int end = parseLabels(line, brace + 1, labels);
        space = line.indexOf(' ', end);
      } else {
        name = line.substring(0, line.indexOf(' '));
        space = line.indexOf(' ');
      }
      String value = line.substring(space + 1).trim().split(" ")[0];
      samples.add(new Sample(name, labels, Double.parseDouble(value.replace("+Inf", "Infinity"))));
    }
    return new PrometheusText(samples);
  }

  /** Parses {@code a="x",b="y"} up to the closing brace; returns the index after it. */
  private static int parseLabels(String line, int i, Map<String, String> into) {
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq).trim();
      StringBuilder value = new StringBuilder();
      int j = eq + 2; // skip ="
      while (line.charAt(j) != '"') {
        char c = line.charAt(j);
        if (c == '\\') {
          char next = line.charAt(++j);
          value.append(next == 'n' ? '\n' : next);
        } else {
          value.append(c);
        }
        j++;
      }
      into.put(key, value.toString());
      i = j + 1;
      if (line.charAt(i) == ',') {
        i++;
      }
    }
    return i + 1;
  }

  List<Sample> named(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** A PromQL label matcher: {@code =}, {@code !=} or an anchored {@code =~}. */
  static Predicate<Sample> eq(String label, String value) {
    return s -> s.labels().getOrDefault(label, "").equals(value);
  }

  static Predicate<Sample> ne(String label, String value) {
    return s -> !s.labels().getOrDefault(label, "").equals(value);
  }

  static Predicate<Sample> re(String label, String regex) {
    Pattern p = Pattern.compile(regex);
    return s -> p.matcher(s.labels().getOrDefault(label, "")).matches();
  }

  /**
   * {@code sum(rate(name{matchers}[interval]))} times the interval: the summed increase of the
   * matching counters from {@code before} to {@code after} (a series absent before counts from 0).
   */
  static double sumIncrease(
      PrometheusText before, PrometheusText after, String name, Predicate<Sample> matchers) {
    Map<String, Double> start = new LinkedHashMap<>();
    for (Sample s : before.named(name)) {
      if (matchers.test(s)) {
        start.put(s.key(), s.value());
      }
    }
    double sum = 0;
    for (Sample s : after.named(name)) {
      if (matchers.test(s)) {
        sum += s.value() - start.getOrDefault(s.key(), 0.0);
      }
    }
    return sum;
  }

  /**
   * {@code histogram_quantile(q, sum(rate(name_bucket{matchers}[interval])) by (le))}: linear
   * interpolation within the bucket holding the rank, as Prometheus does.
   */
  static double histogramQuantile(
      double q,
      PrometheusText before,
      PrometheusText after,
      String bucketName,
      Predicate<Sample> matchers) {
    TreeMap<Double, Double> byLe = new TreeMap<>();
    for (Sample s : after.named(bucketName)) {
      if (matchers.test(s)) {
        double le = Double.parseDouble(s.labels().get("le").replace("+Inf", "Infinity"));
        byLe.merge(le, 0.0, Double::sum);
      }
    }
    for (Double le : byLe.keySet()) {
      Predicate<Sample> bucket =
          matchers.and(
              s -> Double.parseDouble(s.labels().get("le").replace("+Inf", "Infinity")) == le);
      byLe.put(le, sumIncrease(before, after, bucketName, bucket));
    }
    double total = byLe.lastEntry().getValue();
    double rank = q * total;
    double lowerLe = 0;
    double lowerCount = 0;
    for (Map.Entry<Double, Double> e : byLe.entrySet()) {
      if (e.getValue() >= rank) {
        if (e.getKey().isInfinite()) {
          return lowerLe;
        }
        return lowerLe + (e.getKey() - lowerLe) * (rank - lowerCount) / (e.getValue() - lowerCount);
      }
      lowerLe = e.getKey();
      lowerCount = e.getValue();
    }
    return Double.NaN;
  }
}
