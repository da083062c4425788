package dev.meshwork.resilience;

import dev.meshwork.EndpointGate;
import dev.meshwork.GateState;
import dev.meshwork.ResponseClass;
import dev.meshwork.Ticker;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link ConsecutiveFailures} breaker of one endpoint. Lock-free: the phase is an immutable
 * value swapped by compare-and-set (only transitions allocate), the failure streak an atomic
 * counter. The open phase ends by itself when its penalty is over: the next pick that asks sees the
 * probe available and takes it.
 *
 * <p>A completion arriving while a probe is out is taken as the probe's (the gate hands out no
 * tokens); an attempt admitted before the breaker opened may therefore decide a probe early, which
 * errs by at most one request.
 */
final class ConsecutiveFailuresBreaker implements EndpointGate {

  static final String NAME = "consecutive failures";

  private static final int CLOSED = 0;
  private static final int OPEN = 1;
  private static final int PROBE_FREE = 2;
  private static final int PROBE_TAKEN = 3;

  /** One phase of the breaker; {@code openings} counts consecutive openings for the penalty. */
  private record Phase(int kind, long reopenAt, int openings) {}

  private static final Phase CLOSED_PHASE = new Phase(CLOSED, 0, 0);

  private final ConsecutiveFailures config;
  private final GateReporter reporter;
  private final Ticker ticker;
  private final AtomicReference<Phase> phase = new AtomicReference<>(CLOSED_PHASE);
  private final AtomicInteger streak = new AtomicInteger();

  ConsecutiveFailuresBreaker(ConsecutiveFailures config, GateReporter reporter) {
    this.config = config;
    this.reporter = reporter;
    this.ticker = reporter.mesh().ticker();
  }

  @Override
  public boolean isAdmitting() {
    Phase p = phase.get();
    switch (p.kind) {
      case CLOSED:
      case PROBE_FREE:
        return true;
      case OPEN:
        return ticker.nanoTime() >= p.reopenAt;
      default:
        return false;
    }
  }

  @Override
  public boolean tryAcquire() {
    while (true) {
      Phase p = phase.get();
      switch (p.kind) {
        case CLOSED:
          return true;
        case PROBE_TAKEN:
          return false;
        case PROBE_FREE:
          if (phase.compareAndSet(p, new Phase(PROBE_TAKEN, 0, p.openings))) {
            return true;
          }
          break;
        default: // OPEN
          if (ticker.nanoTime() < p.reopenAt) {
            return false;
          }
          if (phase.compareAndSet(p, new Phase(PROBE_TAKEN, 0, p.openings))) {
            reporter.changed(NAME, GateState.REJECTING, GateState.PROBING, "penalty over, probing");
            return true;
          }
      }
    }
  }

  @Override
  public void onComplete(ResponseClass result, long latencyNanos) {
    if (result == ResponseClass.IGNORED) {
      release();
    } else if (result == ResponseClass.SUCCESS) {
      streak.set(0);
      Phase p = phase.get();
      if ((p.kind == PROBE_TAKEN || p.kind == PROBE_FREE) && phase.compareAndSet(p, CLOSED_PHASE)) {
        reporter.changed(NAME, GateState.PROBING, GateState.ADMITTING, "probe succeeded");
      }
    } else {
      failed();
    }
  }

  private void failed() {
    Phase p = phase.get();
    if (p.kind == PROBE_TAKEN || p.kind == PROBE_FREE) {
      Phase next = open(p.openings + 1);
      if (phase.compareAndSet(p, next)) {
        reporter.changed(
            NAME, GateState.PROBING, GateState.REJECTING, "probe failed, " + penalty(next));
      }
    } else if (p.kind == CLOSED && streak.incrementAndGet() >= config.maxFailures()) {
      Phase next = open(1);
      if (phase.compareAndSet(p, next)) {
        int n = streak.getAndSet(0);
        reporter.changed(
            NAME,
            GateState.ADMITTING,
            GateState.REJECTING,
            n + " consecutive failures, " + penalty(next));
      }
    }
  }

  private Phase open(int openings) {
    long penalty = config.penalty().nanos(openings, reporter.mesh().random());
    return new Phase(OPEN, ticker.nanoTime() + penalty, openings);
  }

  private String penalty(Phase open) {
    return "out for " + (open.reopenAt - ticker.nanoTime()) / 1_000_000 + " ms";
  }

  @Override
  public void release() {
    Phase p = phase.get();
    if (p.kind == PROBE_TAKEN) {
      phase.compareAndSet(p, new Phase(PROBE_FREE, 0, p.openings));
    }
  }

  @Override
  public String toString() {
    Phase p = phase.get();
    String[] names = {"closed", "open", "probing", "probe out"};
    return "ConsecutiveFailuresBreaker{"
        + reporter.endpoint().authority()
        + " "
        + names[p.kind]
        + "}";
  }
}
