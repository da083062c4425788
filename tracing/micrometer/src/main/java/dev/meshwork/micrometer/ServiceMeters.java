package dev.meshwork.micrometer;

import dev.meshwork.DeadlineExceededException;
import dev.meshwork.Mesh;
import dev.meshwork.MeshException;
import dev.meshwork.NoHealthyEndpointsException;
import dev.meshwork.RetryDecision;
import dev.meshwork.ServiceName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The retry meters of one destination service: retries started, retries the mesh refused (and why),
 * hedged backups sent, calls the mesh itself failed (and why), and the retry budget's balance.
 * Created on the service's first call; meters for a reason are registered when that reason first
 * happens.
 *
 * <p>Thread-safe.
 */
final class ServiceMeters {

  private static final RetryDecision[] DECISIONS = RetryDecision.values();
  private static final String[] FAILURE_REASONS = {
    "no_healthy_endpoints", "deadline_exceeded", "other"
  };

  final ServiceName service;
  private final MeterRegistry registry;
  private final String authority;
  private final Counter retries;
  private final AtomicReferenceArray<Counter> denied = new AtomicReferenceArray<>(DECISIONS.length);
  private final AtomicReferenceArray<Counter> failures =
      new AtomicReferenceArray<>(FAILURE_REASONS.length);
  private volatile boolean budgetGauge;
  private volatile @Nullable Counter backups; // registered at the first backup: hedging is opt-in

  ServiceMeters(MeterRegistry registry, ServiceName service) {
    this.registry = registry;
    this.service = service;
    this.authority = service.toString();
    this.retries =
        Counter.builder(MetricNames.RETRIES)
            .tag(MetricNames.AUTHORITY, authority)
            .register(registry);
  }

  void retried() {
    retries.increment();
  }

  /** Counts a hedged backup sent while the call's first attempt was in flight. */
  void backedUp() {
    Counter c = backups;
    if (c == null) {
      // Registering twice in a race returns the same counter.
      c =
          Counter.builder(MetricNames.BACKUPS)
              .tag(MetricNames.AUTHORITY, authority)
              .register(registry);
      backups = c;
    }
    c.increment();
  }

  /**
   * Counts a call that stopped after a retryable failure without retrying, with the decision's
   * reason ({@code budget_exhausted}, {@code attempts_exhausted}, {@code deadline_exceeded}, {@code
   * unsafe_to_retry}).
   */
  void denied(RetryDecision decision) {
    int i = decision.ordinal();
    Counter c = denied.get(i);
    if (c == null) {
      c =
          Counter.builder(MetricNames.RETRIES_DENIED)
              .tag(MetricNames.AUTHORITY, authority)
              .tag(MetricNames.REASON, decision.name().toLowerCase(Locale.ROOT))
              .register(registry);
      denied.set(i, c);
    }
    c.increment();
  }

  /** Counts a call the mesh failed itself: no healthy endpoints, or the deadline passed. */
  void failed(MeshException failure) {
    int i =
        failure instanceof NoHealthyEndpointsException
            ? 0
            : failure instanceof DeadlineExceededException ? 1 : 2;
    Counter c = failures.get(i);
    if (c == null) {
      c =
          Counter.builder(MetricNames.CALL_FAILURES)
              .tag(MetricNames.AUTHORITY, authority)
              .tag(MetricNames.REASON, FAILURE_REASONS[i])
              .register(registry);
      failures.set(i, c);
    }
    c.increment();
  }

  /** Exposes the service's retry budget balance (retries available now) as a gauge, once. */
  void bindBudget(Mesh mesh) {
    if (budgetGauge) {
      return;
    }
    budgetGauge = true;
    Gauge.builder(MetricNames.RETRY_BUDGET_BALANCE, mesh, m -> m.retryBudget(service).balance())
        .tag(MetricNames.AUTHORITY, authority)
        .strongReference(true)
        .register(registry);
  }
}
