package dev.meshwork.micrometer;

import dev.meshwork.ResponseClass;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The golden meters of one tag set (direction, service, backend, route, …): a request counter, and
 * per response outcome (classification, status, error) a response counter and a latency summary
 * with Linkerd's buckets. Outcome meters are created the first time an outcome is seen and then
 * found again by a scan of a small array, comparing ints and classes: no registry lookup, lock or
 * allocation on the request path once warm.
 *
 * <p>Thread-safe. At most {@value #MAX_OUTCOMES} distinct outcomes get their own meters; further
 * ones are counted under {@code status_code="other"}, so a misbehaving server cannot blow up
 * cardinality.
 */
final class RequestMeters {

  static final int MAX_OUTCOMES = 64;
  private static final String OTHER = "other";

  private final MeterRegistry registry;
  private final Tags tags;
  private final String responseName;
  private final String latencyName;
  private final Counter requests;
  private volatile Outcome[] outcomes = new Outcome[0];

  RequestMeters(
      MeterRegistry registry,
      Tags tags,
      String requestName,
      String responseName,
      String latencyName) {
    this.registry = registry;
    this.tags = tags;
    this.responseName = responseName;
    this.latencyName = latencyName;
    this.requests = Counter.builder(requestName).tags(tags).register(registry);
  }

  void request() {
    requests.increment();
  }

  /**
   * Counts a response and records its latency. A result the mesh {@linkplain ResponseClass#IGNORED
   * ignores} (the caller cancelled) produced no response and is not counted.
   */
  void response(
      @Nullable ResponseClass result,
      int httpStatus,
      int grpcCode,
      @Nullable Throwable error,
      long latencyNanos) {
    if (result == null || result == ResponseClass.IGNORED) {
      return;
    }
    boolean failure = result.isFailure();
    Class<?> errorClass =
        httpStatus == 0 && grpcCode < 0 && error != null ? error.getClass() : null;
    Outcome o = find(failure, httpStatus, grpcCode, errorClass);
    o.responses.increment();
    o.latency.record(latencyNanos / 1e6);
  }

  private Outcome find(boolean failure, int httpStatus, int grpcCode, @Nullable Class<?> error) {
    for (Outcome o : outcomes) {
      if (o.matches(failure, httpStatus, grpcCode, error)) {
        return o;
      }
    }
    return add(failure, httpStatus, grpcCode, error);
  }

  private synchronized Outcome add(
      boolean failure, int httpStatus, int grpcCode, @Nullable Class<?> error) {
    Outcome[] current = outcomes;
    for (Outcome o : current) {
      if (o.matches(failure, httpStatus, grpcCode, error)) {
        return o;
      }
    }
    boolean overflow = current.length >= MAX_OUTCOMES;
    if (overflow) {
      // Past the cap, one shared outcome per classification takes everything new.
      httpStatus = -2;
      grpcCode = -2;
      error = null;
      for (Outcome o : current) {
        if (o.matches(failure, httpStatus, grpcCode, null)) {
          return o;
        }
      }
    }
    Tags outcomeTags =
        tags.and(
            MetricNames.CLASSIFICATION,
            failure ? MetricNames.FAILURE : MetricNames.SUCCESS,
            MetricNames.STATUS_CODE,
            overflow ? OTHER : httpStatus > 0 ? Integer.toString(httpStatus) : "",
            MetricNames.GRPC_STATUS,
            overflow ? OTHER : grpcCode >= 0 ? Integer.toString(grpcCode) : "");
    Counter responses =
        Counter.builder(responseName)
            .tags(outcomeTags)
            .tag(MetricNames.ERROR, error == null ? "" : error.getSimpleName())
            .register(registry);
    DistributionSummary latency =
        DistributionSummary.builder(latencyName)
            .tags(outcomeTags)
            .serviceLevelObjectives(MetricNames.LATENCY_BUCKETS_MS)
            .publishPercentileHistogram(false)
            .register(registry);
    Outcome o = new Outcome(failure, httpStatus, grpcCode, error, responses, latency);
    Outcome[] next = Arrays.copyOf(current, current.length + 1);
    next[current.length] = o;
    outcomes = next;
    return o;
  }

  /** Removes every meter of this tag set from the registry (an endpoint that left). */
  synchronized void remove() {
    registry.remove(requests);
    for (Outcome o : outcomes) {
      registry.remove(o.responses);
      registry.remove(o.latency);
    }
    outcomes = new Outcome[0];
  }

  private static final class Outcome {
    final boolean failure;
    final int httpStatus;
    final int grpcCode;
    final @Nullable Class<?> error;
    final Counter responses;
    final DistributionSummary latency;

    Outcome(
        boolean failure,
        int httpStatus,
        int grpcCode,
        @Nullable Class<?> error,
        Counter responses,
        DistributionSummary latency) {
      this.failure = failure;
      this.httpStatus = httpStatus;
      this.grpcCode = grpcCode;
      this.error = error;
      this.responses = responses;
      this.latency = latency;
    }

    boolean matches(boolean failure, int httpStatus, int grpcCode, @Nullable Class<?> error) {
      return this.failure == failure
          && this.httpStatus == httpStatus
          && this.grpcCode == grpcCode
          && this.error == error;
    }
  }
}
