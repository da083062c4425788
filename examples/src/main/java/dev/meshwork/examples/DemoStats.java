package dev.meshwork.examples;

import dev.meshwork.Attempt;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshListener;
import dev.meshwork.ResponseClass;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects what the demo prints, as a {@link MeshListener}: calls per backend and attempts per
 * endpoint, with their classification and latency. The same events feed metrics and tracing in the
 * observability modules.
 */
final class DemoStats implements MeshListener {

  private final Map<String, Row> backends = new TreeMap<>();
  private final Map<String, Row> endpoints = new TreeMap<>();
  private int retries;

  private static final class Row {
    int count;
    int ok;
    final List<Long> latencies = new ArrayList<>();

    void add(boolean success, long nanos) {
      count++;
      if (success) {
        ok++;
      }
      latencies.add(nanos);
    }
  }

  @Override
  public synchronized void attemptEnded(MeshCall call, Attempt attempt) {
    String instance = attempt.endpoint().label("instance");
    String key =
        call.backend().name()
            + " "
            + attempt.endpoint().authority()
            + (instance == null ? "" : " " + instance);
    endpoints
        .computeIfAbsent(key, k -> new Row())
        .add(attempt.result() == ResponseClass.SUCCESS, attempt.latencyNanos());
    if (attempt.isRetry()) {
      retries++;
    }
  }

  @Override
  public synchronized void callEnded(MeshCall call) {
    Attempt last = call.lastAttempt();
    boolean ok = last != null && last.result() == ResponseClass.SUCCESS;
    backends.computeIfAbsent(call.backend().name(), k -> new Row()).add(ok, call.durationNanos());
  }

  synchronized void reset() {
    backends.clear();
    endpoints.clear();
    retries = 0;
  }

  synchronized String table(String title) {
    int total = backends.values().stream().mapToInt(r -> r.count).sum();
    int ok = backends.values().stream().mapToInt(r -> r.ok).sum();
    StringBuilder s = new StringBuilder();
    s.append(title).append('\n');
    String header =
        String.format(
            Locale.ROOT,
            "%-20s %-40s %9s %7s %9s %9s %9s%n",
            "BACKEND",
            "ENDPOINT",
            "REQUESTS",
            "SHARE",
            "SUCCESS",
            "P50",
            "P99");
    s.append(header).append("-".repeat(header.length() - 1)).append('\n');
    backends.forEach(
        (backend, row) -> {
          s.append(line(backend, "calls", row, total));
          int attempts =
              endpoints.entrySet().stream()
                  .filter(e -> e.getKey().startsWith(backend + " "))
                  .mapToInt(e -> e.getValue().count)
                  .sum();
          endpoints.forEach(
              (key, e) -> {
                if (key.startsWith(backend + " ")) {
                  s.append(line("", "  " + key.substring(backend.length() + 1), e, attempts));
                }
              });
        });
    s.append(
        String.format(
            Locale.ROOT,
            "%ncalls: %d, succeeded: %d (%.2f%%), retries: %d"
                + " (calls rows: share of all calls; endpoint rows: share of the backend's"
                + " attempts)%n",
            total,
            ok,
            100.0 * ok / Math.max(total, 1),
            retries));
    return s.toString();
  }

  private static String line(String backend, String endpoint, Row r, int of) {
    List<Long> sorted = new ArrayList<>(r.latencies);
    Collections.sort(sorted);
    return String.format(
        Locale.ROOT,
        "%-20s %-40s %9d %6.1f%% %8.2f%% %7.2fms %7.2fms%n",
        backend,
        endpoint,
        r.count,
        100.0 * r.count / Math.max(of, 1),
        100.0 * r.ok / Math.max(r.count, 1),
        percentile(sorted, 0.50) / 1e6,
        percentile(sorted, 0.99) / 1e6);
  }

  private static long percentile(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
  }
}
