package dev.meshwork;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * One logical call through the mesh, from route selection to its final attempt. Transport adapters
 * drive it; listeners observe it. Created by {@link Mesh#newCall}, which reads the snapshot once:
 * the route, backend, deadline, retry policy and budget of the whole call come from that one
 * snapshot.
 *
 * <p>An adapter's loop:
 *
 * <pre>{@code
 * MeshCall call = mesh.newCall(host, request);      // null: not a mesh service, pass through
 * while (true) {
 *   Attempt attempt = call.startAttempt();          // throws NoHealthyEndpoints / DeadlineExceeded
 *   Response response = send(attempt.endpoint(), call.remainingNanos());
 *   RetryDecision d = call.completeHttp(attempt, response.code());
 *   if (d != RetryDecision.RETRY) return response;  // the call has ended
 *   response.close();
 *   ticker.sleep(call.backoffNanos());
 * }
 * }</pre>
 *
 * <p>Hedging: when {@link #backupDelayNanos()} is not negative after the first attempt started, the
 * adapter may call {@link #startBackup()} once that much time has passed and the first attempt is
 * still in flight, and send the backup concurrently. The first attempt to complete with {@link
 * ResponseClass#SUCCESS} ends the call (the adapter then cancels the other and completes it with
 * {@link #completeCancelled}); a failure while the other attempt is in flight returns {@link
 * RetryDecision#AWAITING_OTHER_ATTEMPT} and the other decides. Completing an attempt after the call
 * has ended only accounts for it and returns the call's decision.
 *
 * <p>Fault injection: an attempt may carry an {@linkplain Attempt#injectedDelayNanos() injected
 * delay}, which the adapter waits out before sending, or an {@linkplain Attempt#isInjectedAbort()
 * abort}, which the adapter completes with the injected status without sending anything.
 *
 * <p>Not thread-safe: drive a call from one thread at a time. With a backup in flight the two
 * attempts may complete on different threads: the adapter must then serialize every call into the
 * {@code MeshCall} (one lock per call), and must not start another attempt while two are in flight.
 * Every call ends exactly once: when a completion returns {@link RetryDecision#COMPLETE} or a
 * reason retries stopped, when {@link #startAttempt()} throws, or when {@link #cancel()} is called.
 */
public final class MeshCall {

  private final Mesh mesh;
  private final MeshSnapshot snapshot;
  private final ServiceRouting routing;
  private final CompiledRoute route;
  private final LinkedBackend backend;
  private final MeshRequest request;
  private final boolean idempotent;
  private final boolean replayable;
  private final long startNanos;

  /** Absolute deadline on the mesh's ticker; Long.MAX_VALUE for none. */
  private final long deadlineAt;

  private final long deadlineBudgetNanos;

  /** The request's own fault (from its header, when the mesh allows it), or null. */
  private final @Nullable Fault requestFault;

  /** The attempt number the upstream mesh sent the request being served with; 0 if unknown. */
  private final int upstreamAttempt;

  /** The upstream is retrying: one attempt only, no retries, no backups. */
  private final boolean singleAttempt;

  private int attempts;
  private int inFlight;
  private boolean committed;
  private boolean backupStarted;
  private boolean hedgingAsked;
  private long backupDelayNanos = -1;
  private @Nullable ConcurrencyLimit limit;
  private @Nullable Attempt last;
  private @Nullable RetryDecision decision;
  private @Nullable MeshException failure;
  private long backoffNanos;
  private long endNanos;
  private Object @Nullable [] attachments;

  MeshCall(Mesh mesh, MeshSnapshot snapshot, ServiceRouting routing, MeshRequest request) {
    this.mesh = mesh;
    this.snapshot = snapshot;
    this.routing = routing;
    this.request = request;
    this.idempotent = request.idempotent();
    this.replayable = request.replayable();
    this.route = routing.select(request);
    long now = mesh.ticker.nanoTime();
    this.startNanos = now;
    long budget = route.timeoutNanos > 0 ? route.timeoutNanos : Long.MAX_VALUE;
    MeshContext context = MeshContext.current();
    Deadline inherited = context.deadline();
    if (inherited != null) {
      budget = Math.min(budget, inherited.remainingNanos());
    }
    this.deadlineBudgetNanos = budget;
    this.deadlineAt = budget == Long.MAX_VALUE ? Long.MAX_VALUE : now + budget;
    Integer upstream = context.get(MeshContext.UPSTREAM_ATTEMPT);
    this.upstreamAttempt = upstream == null ? 0 : upstream;
    this.singleAttempt = mesh.deferRetriesToUpstream && upstreamAttempt > 1;
    this.requestFault = mesh.faultHeader ? Fault.fromHeader(request) : null;
    this.backend = route.pickBackend(mesh.random);
    routing.budget.deposit();
    mesh.listener.callStarted(this);
  }

  /**
   * Picks an endpoint and starts the next attempt.
   *
   * @throws DeadlineExceededException if the deadline has passed; the call has then ended
   * @throws NoHealthyEndpointsException if the backend has no endpoint to use; the call has ended
   * @throws ConcurrencyLimitExceededException if this is the first attempt and the destination's
   *     concurrency limit is reached; the call has ended
   */
  public Attempt startAttempt() {
    if (decision != null) {
      throw new IllegalStateException("call to " + routing.service + " has ended: " + decision);
    }
    long now = mesh.ticker.nanoTime();
    if (now >= deadlineAt) {
      throw fail(
          RetryDecision.DEADLINE_EXCEEDED,
          new DeadlineExceededException(describe(RetryDecision.DEADLINE_EXCEEDED)),
          now);
    }
    if (attempts == 0 && mesh.limits != null) {
      ConcurrencyLimit l = mesh.concurrencyLimit(routing.service);
      if (l != null) {
        if (!l.tryAcquire()) {
          throw fail(
              RetryDecision.COMPLETE,
              new ConcurrencyLimitExceededException(routing.service, l.limit()),
              now);
        }
        limit = l;
      }
    }
    EndpointSet set = backend.endpoints;
    if (set.isEmpty()) {
      throw fail(RetryDecision.COMPLETE, new NoHealthyEndpointsException(backend.name, 0, 0), now);
    }
    Attempt attempt = pick(set, last == null ? null : last.state, now, false);
    if (attempt == null) {
      throw fail(
          RetryDecision.COMPLETE,
          new NoHealthyEndpointsException(backend.name, set.size(), set.rejecting()),
          now);
    }
    HedgingPolicy hedging = mesh.hedging;
    if (attempts == 1 && hedging != null && idempotent && replayable && !singleAttempt) {
      hedgingAsked = true;
      backupDelayNanos = hedging.backupDelayNanos(this);
    }
    return attempt;
  }

  /**
   * Starts the hedged backup of the first attempt, on another endpoint if there is one; null when
   * the call gets no backup: it is not eligible ({@link #backupDelayNanos()} is negative), its
   * first attempt is no longer alone in flight, it has ended, committed or run out of time, a
   * backup was already asked for, or the hedging policy or the destination's retry budget refuses
   * it (a backup is paid from the budget like a retry). Ask once the delay has passed.
   */
  public @Nullable Attempt startBackup() {
    if (decision != null
        || committed
        || backupDelayNanos < 0
        || backupStarted
        || inFlight != 1
        || attempts != 1) {
      return null;
    }
    backupStarted = true;
    long now = mesh.ticker.nanoTime();
    HedgingPolicy hedging = mesh.hedging;
    if (now >= deadlineAt
        || hedging == null
        || !hedging.allowBackup(this)
        || !routing.budget.tryWithdraw()) {
      return null;
    }
    Attempt first = last;
    return pick(backend.endpoints, first == null ? null : first.state, now, true);
  }

  /**
   * An endpoint by the balancer, whose gate admits the attempt, or (failing open) the least bad
   * one; null when every endpoint refuses and the mesh does not fail open.
   */
  private @Nullable Attempt pick(
      EndpointSet set, @Nullable EndpointState avoid, long now, boolean backup) {
    EndpointState chosen = null;
    boolean permitted = false;
    for (int tries = 0; tries < 3 && chosen == null; tries++) {
      EndpointState s = backend.balancer.pick(set, avoid, now, mesh.random);
      if (s == null) {
        break;
      }
      if (s.gate == null) {
        chosen = s;
      } else if (s.gate.tryAcquire()) {
        chosen = s;
        permitted = true;
      } else {
        avoid = s;
      }
    }
    if (chosen == null) {
      if (!mesh.failOpen) {
        return null;
      }
      chosen = backend.balancer.leastBad(set, now);
      mesh.listener.failedOpen(this, backend.name);
    }
    chosen.attemptStarted();
    Attempt attempt =
        new Attempt(this, chosen, ++attempts, now, permitted, deadlineAt - now, backup);
    Fault fault = requestFault != null ? requestFault : route.route.fault();
    if (fault != null) {
      attempt.faultDelayNanos = fault.drawDelay(mesh.random);
      attempt.faultAbort = fault.drawAbort(mesh.random);
      if (attempt.faultDelayNanos > 0 || attempt.faultAbort) {
        attempt.fault = fault;
      }
    }
    inFlight++;
    last = attempt;
    mesh.listener.attemptStarted(this, attempt);
    return attempt;
  }

  /** Completes {@code attempt} with an HTTP response status. */
  public RetryDecision completeHttp(Attempt attempt, int status) {
    attempt.httpStatus = status;
    return complete(attempt, mesh.classifier.classifyHttp(status, route.retryPolicy), false);
  }

  /** Completes {@code attempt} with a numeric gRPC status code. */
  public RetryDecision completeGrpc(Attempt attempt, int code) {
    attempt.grpcCode = code;
    return complete(attempt, mesh.classifier.classifyGrpc(code, route.retryPolicy), false);
  }

  /**
   * Completes {@code attempt} that ended without a response. {@code neverSent}: the request
   * certainly did not reach the server, which makes any request safe to retry.
   */
  public RetryDecision completeError(Attempt attempt, Throwable error, boolean neverSent) {
    attempt.error = error;
    return complete(
        attempt, mesh.classifier.classifyError(error, neverSent, route.retryPolicy), neverSent);
  }

  /**
   * Completes {@code attempt} that the caller cancelled, or that lost a hedging race; it says
   * nothing about the endpoint.
   */
  public RetryDecision completeCancelled(Attempt attempt) {
    return complete(attempt, ResponseClass.IGNORED, false);
  }

  /**
   * Marks the call as committed to its current attempt: part of the response has reached the
   * application (a gRPC response message), so the call can no longer be retried. Later failures
   * complete it ({@link RetryDecision#COMPLETE}) without asking the retry budget. Also used when
   * the server forbids a retry (gRPC's negative {@code grpc-retry-pushback-ms}).
   */
  public void commit() {
    committed = true;
  }

  /** Whether {@link #commit()} was called. */
  public boolean isCommitted() {
    return committed;
  }

  /** Ends a call that will not make the retry it was granted (for example, interrupted). */
  public void cancel() {
    if (decision == null) {
      end(RetryDecision.COMPLETE, null, mesh.ticker.nanoTime());
    }
  }

  private RetryDecision complete(Attempt attempt, ResponseClass result, boolean neverSent) {
    if (attempt.result != null) {
      throw new IllegalStateException("attempt " + attempt.number() + " already completed");
    }
    long now = mesh.ticker.nanoTime();
    attempt.end(result, now);
    inFlight--;
    EndpointState state = attempt.state;
    state.attemptEnded();
    // An injected abort never reached the endpoint, and an injected delay is not its latency.
    long latency = attempt.endpointLatencyNanos();
    if (!attempt.faultAbort) {
      backend.balancer.observe(state, latency, result, now);
    }
    EndpointGate gate = state.gate;
    if (attempt.permitted && gate != null) {
      if (result == ResponseClass.IGNORED || attempt.faultAbort) {
        gate.release();
      } else {
        gate.onComplete(result, latency);
      }
    }
    HedgingPolicy hedging = mesh.hedging;
    if (hedgingAsked && hedging != null) {
      hedging.attemptEnded(this, attempt); // also when it chose no backup: it learns latencies
    }
    mesh.listener.attemptEnded(this, attempt);
    if (decision != null) {
      return decision; // the call ended already: this attempt lost a hedging race, or was cut off
    }
    if (inFlight > 0 && result != ResponseClass.SUCCESS) {
      return RetryDecision.AWAITING_OTHER_ATTEMPT;
    }
    last = attempt;
    RetryDecision d = decide(attempt, result, neverSent, now);
    if (d == RetryDecision.RETRY) {
      return d;
    }
    end(d, null, now);
    return d;
  }

  private RetryDecision decide(Attempt attempt, ResponseClass result, boolean neverSent, long now) {
    if (result.isFailure() && deadlineAt != Long.MAX_VALUE && now >= deadlineAt) {
      // The attempt failed at or past the deadline (often: it timed out because of it).
      return RetryDecision.DEADLINE_EXCEEDED;
    }
    if (result != ResponseClass.RETRYABLE_FAILURE || committed || singleAttempt) {
      return RetryDecision.COMPLETE;
    }
    Fault fault = attempt.fault;
    if (attempt.faultAbort && fault != null && !fault.retried()) {
      return RetryDecision.COMPLETE; // retries must not hide the fault being tested
    }
    RetryPolicy policy = route.retryPolicy;
    if (neverSent && !policy.retriesConnectFailures()) {
      return RetryDecision.COMPLETE;
    }
    if (!(neverSent || attempt.faultAbort) && !(idempotent && replayable)) {
      return RetryDecision.UNSAFE_TO_RETRY;
    }
    if (attempts >= policy.maxAttempts()) {
      return policy.maxAttempts() == 1 ? RetryDecision.COMPLETE : RetryDecision.ATTEMPTS_EXHAUSTED;
    }
    long backoff = policy.backoffNanos(attempts, mesh.random);
    if (deadlineAt != Long.MAX_VALUE && now + backoff >= deadlineAt) {
      return RetryDecision.DEADLINE_EXCEEDED;
    }
    if (!routing.budget.tryWithdraw()) {
      return RetryDecision.BUDGET_EXHAUSTED;
    }
    backoffNanos = backoff;
    return RetryDecision.RETRY;
  }

  private MeshException fail(RetryDecision d, MeshException error, long now) {
    end(d, error, now);
    return error;
  }

  private void end(RetryDecision d, @Nullable MeshException error, long now) {
    decision = d;
    failure = error;
    endNanos = now;
    ConcurrencyLimit l = limit;
    if (l != null) {
      limit = null;
      Attempt a = last;
      boolean answered = a != null && a.result != null && !a.faultAbort;
      l.release(
          answered ? a.result : ResponseClass.IGNORED, answered ? a.endpointLatencyNanos() : 0);
    }
    mesh.listener.callEnded(this);
  }

  /**
   * How long after the first attempt started its hedged backup may be sent ({@link
   * #startBackup()}), in nanoseconds; negative when the call gets no backup (hedging off, the
   * request not idempotent or not replayable, or the upstream already retrying).
   */
  public long backupDelayNanos() {
    return backupDelayNanos;
  }

  /** Attempts started and not yet completed: 0, 1, or 2 while a backup races the original. */
  public int attemptsInFlight() {
    return inFlight;
  }

  /**
   * The attempt number of the upstream request this call is made for ({@link
   * MeshContext#UPSTREAM_ATTEMPT}), or 0 if unknown.
   */
  public int upstreamAttempt() {
    return upstreamAttempt;
  }

  /** The mesh this call runs in (its ticker, random source, listener). */
  public Mesh mesh() {
    return mesh;
  }

  /** The service the call was addressed to. */
  public ServiceName service() {
    return routing.service;
  }

  /** The route that took the call. */
  public Route route() {
    return route.route;
  }

  /** The backend chosen for the call, which every attempt uses. */
  public Backend backend() {
    return backend.backend;
  }

  public MeshRequest request() {
    return request;
  }

  /** The generation of the snapshot the call was routed with. */
  public long snapshotGeneration() {
    return snapshot.generation();
  }

  /** Time left before the deadline; {@link Long#MAX_VALUE} when the call has none. */
  public long remainingNanos() {
    return deadlineAt == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineAt - mesh.ticker.nanoTime();
  }

  public boolean hasDeadline() {
    return deadlineAt != Long.MAX_VALUE;
  }

  /** The call's deadline, or null when it has none. */
  public @Nullable Deadline deadline() {
    return hasDeadline() ? Deadline.afterNanos(remainingNanos(), mesh.ticker) : null;
  }

  /** The pause before the next attempt, after a {@link RetryDecision#RETRY}. */
  public long backoffNanos() {
    return backoffNanos;
  }

  /** Attempts started so far. */
  public int attempts() {
    return attempts;
  }

  /** The latest attempt, or null before the first. */
  public @Nullable Attempt lastAttempt() {
    return last;
  }

  public boolean isEnded() {
    return decision != null;
  }

  /** How the call ended, or null while it runs. */
  public @Nullable RetryDecision decision() {
    return decision;
  }

  /** The mesh's own failure that ended the call (no endpoints, deadline), or null. */
  public @Nullable MeshException failure() {
    return failure;
  }

  /** Nanoseconds from start to end (so far, while the call runs). */
  public long durationNanos() {
    return (decision != null ? endNanos : mesh.ticker.nanoTime()) - startNanos;
  }

  public long startNanos() {
    return startNanos;
  }

  /**
   * Why a call with a retryable failure stopped, for the error the adapter raises: {@code retry
   * budget for ratings.default exhausted (last failure: 503)}, {@code deadline of 250 ms for
   * reviews.default exceeded after 2 attempts (last failure: 503)}.
   */
  public String describe(RetryDecision d) {
    String service = routing.service.toString();
    String lastFailure = last == null ? "" : " (last failure: " + last.describeResult() + ")";
    switch (d) {
      case BUDGET_EXHAUSTED:
        return "retry budget for " + service + " exhausted" + lastFailure;
      case DEADLINE_EXCEEDED:
        return "deadline of "
            + Math.max(deadlineBudgetNanos / 1_000_000, 0)
            + " ms for "
            + service
            + " exceeded after "
            + attempts
            + (attempts == 1 ? " attempt" : " attempts")
            + lastFailure;
      case ATTEMPTS_EXHAUSTED:
        return service + " failed after " + attempts + " attempts" + lastFailure;
      case UNSAFE_TO_RETRY:
        return request.method()
            + " to "
            + service
            + " not retried: it may have reached the server and is not safe to repeat"
            + lastFailure;
      default:
        return service + ": " + (last == null ? "no attempt" : last.describeResult());
    }
  }

  /** A value a listener keeps with this call (a span, a timer sample); null if none. */
  @SuppressWarnings("unchecked")
  public <T> @Nullable T attachment(MeshContext.Key<T> key) {
    Object[] a = attachments;
    if (a != null) {
      for (int i = 0; i < a.length; i += 2) {
        if (a[i] == key) {
          return (T) a[i + 1];
        }
      }
    }
    return null;
  }

  /** Keeps {@code value} with this call under {@code key}, replacing an earlier value. */
  public <T> void attach(MeshContext.Key<T> key, T value) {
    Object[] a = attachments;
    if (a == null) {
      attachments = new Object[] {key, value};
      return;
    }
    for (int i = 0; i < a.length; i += 2) {
      if (a[i] == key) {
        a[i + 1] = value;
        return;
      }
    }
    a = Arrays.copyOf(a, a.length + 2);
    a[a.length - 2] = key;
    a[a.length - 1] = value;
    attachments = a;
  }

  @Override
  public String toString() {
    return "MeshCall{"
        + request.method()
        + " "
        + routing.service
        + request.path()
        + " -> "
        + backend.name
        + ", attempts="
        + attempts
        + (decision == null ? "" : ", " + decision)
        + "}";
  }
}
