package dev.meshwork.resilience;

import dev.meshwork.EndpointGate;
import dev.meshwork.GateState;
import dev.meshwork.RandomSource;
import dev.meshwork.ResponseClass;
import dev.meshwork.Ticker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import io.github.resilience4j.core.IntervalFunction;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link SuccessRate} breaker of one endpoint: a resilience4j {@link CircuitBreaker} driven
 * through its permission protocol, never its {@code decorate*} wrappers. resilience4j's states map
 * to the mesh's: CLOSED → ADMITTING, OPEN → REJECTING, HALF_OPEN → PROBING; its state changes are
 * reported to the mesh's listener.
 */
final class SuccessRateBreaker implements EndpointGate {

  static final String NAME = "success rate";

  /** What the breaker is told a failed attempt threw: the classification, without a stack. */
  private static final Throwable FAILED = new ClassifiedFailure("FAILURE");

  private static final Throwable RETRYABLE = new ClassifiedFailure("RETRYABLE_FAILURE");

  private final CircuitBreaker breaker;
  private final GateReporter reporter;
  private final AtomicReference<CircuitBreaker.State> reported =
      new AtomicReference<>(CircuitBreaker.State.CLOSED);

  SuccessRateBreaker(SuccessRate config, GateReporter reporter) {
    RandomSource random = reporter.mesh().random();
    Ticker ticker = reporter.mesh().ticker();
    // resilience4j 2.4's lock-free time window reads the system's monotonic clock, whatever clock
    // the config names; with the mesh on any other ticker (a fake one in tests) its synchronized
    // window, which does use the configured clock, keeps the breaker on the mesh's time.
    SlidingWindowSynchronizationStrategy sync =
        ticker == Ticker.system()
            ? SlidingWindowSynchronizationStrategy.LOCK_FREE
            : SlidingWindowSynchronizationStrategy.SYNCHRONIZED;
    Penalty penalty = config.penalty();
    IntervalFunction wait =
        openings -> TimeUnit.NANOSECONDS.toMillis(penalty.nanos(openings, random));
    CircuitBreakerConfig c =
        CircuitBreakerConfig.custom()
            .failureRateThreshold((float) ((1 - config.minSuccessRate()) * 100))
            .slidingWindow(
                (int) config.window().toSeconds(),
                config.minRequests(),
                SlidingWindowType.TIME_BASED,
                sync)
            .permittedNumberOfCallsInHalfOpenState(1)
            .waitIntervalFunctionInOpenState(wait)
            .automaticTransitionFromOpenToHalfOpenEnabled(false)
            .writableStackTraceEnabled(false)
            .clock(new TickerClock(ticker))
            .build();
    this.breaker = CircuitBreaker.of(reporter.service() + "/" + reporter.endpoint().authority(), c);
    this.reporter = reporter;
  }

  /**
   * Reports a state change resilience4j made during the last call into it. Read after each call
   * rather than subscribed to: any event consumer makes resilience4j build an event, with a
   * wall-clock timestamp, on every success and error. A compare-and-set on the last reported state
   * reports each change once when several threads see it.
   */
  private void reportChange() {
    CircuitBreaker.State now = breaker.getState();
    CircuitBreaker.State seen = reported.get();
    if (now != seen && reported.compareAndSet(seen, now)) {
      GateState from = map(seen);
      GateState to = map(now);
      if (from != to) {
        reporter.changed(NAME, from, to, reason(seen, now));
      }
    }
  }

  private String reason(CircuitBreaker.State from, CircuitBreaker.State to) {
    switch (to) {
      case OPEN:
        return from == CircuitBreaker.State.HALF_OPEN
            ? "probe failed"
            : String.format(
                "success rate %.0f%% below threshold", 100 - breaker.getMetrics().getFailureRate());
      case HALF_OPEN:
        return "penalty over, probing";
      default:
        return "probe succeeded";
    }
  }

  private static GateState map(CircuitBreaker.State s) {
    switch (s) {
      case OPEN:
      case FORCED_OPEN:
        return GateState.REJECTING;
      case HALF_OPEN:
        return GateState.PROBING;
      default:
        return GateState.ADMITTING;
    }
  }

  /** The underlying breaker, for inspection (metrics, events). */
  CircuitBreaker breaker() {
    return breaker;
  }

  @Override
  public boolean isAdmitting() {
    CircuitBreaker.State s = breaker.getState();
    if (s == CircuitBreaker.State.CLOSED) {
      return true;
    }
    // resilience4j has no "would you admit?": ask, and give the permission straight back. This
    // also moves an open breaker whose wait is over to half-open.
    boolean admitting = breaker.tryAcquirePermission();
    if (admitting) {
      breaker.releasePermission();
    }
    reportChange();
    return admitting;
  }

  @Override
  public boolean tryAcquire() {
    boolean permitted = breaker.tryAcquirePermission();
    if (breaker.getState() != CircuitBreaker.State.CLOSED) {
      reportChange();
    }
    return permitted;
  }

  @Override
  public void onComplete(ResponseClass result, long latencyNanos) {
    switch (result) {
      case SUCCESS:
        breaker.onSuccess(latencyNanos, TimeUnit.NANOSECONDS);
        break;
      case IGNORED:
        breaker.releasePermission();
        break;
      case RETRYABLE_FAILURE:
        breaker.onError(latencyNanos, TimeUnit.NANOSECONDS, RETRYABLE);
        break;
      default:
        breaker.onError(latencyNanos, TimeUnit.NANOSECONDS, FAILED);
    }
    reportChange();
  }

  @Override
  public void release() {
    breaker.releasePermission();
  }

  @Override
  public String toString() {
    return "SuccessRateBreaker{" + breaker.getName() + " " + breaker.getState() + "}";
  }

  /** The classification of a failed attempt, as the throwable resilience4j records. */
  static final class ClassifiedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClassifiedFailure(String classification) {
      super(classification, null, false, false);
    }
  }
}
