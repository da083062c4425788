package dev.meshwork.grpc;

import dev.meshwork.Attempt;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshException;
import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.Status;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Maps the endpoint the mesh's balancer chose for an attempt (P2C over peak-EWMA, per RPC) to the
 * channel's connection to that endpoint. Immutable: the balancer publishes a new picker whenever a
 * connection changes state.
 *
 * <p>An attempt is started the first time gRPC picks for its ticket; later picks for the same
 * stream (gRPC picks again when a new picker arrives) reuse it. An attempt whose endpoint is still
 * connecting waits; one whose endpoint has no usable connection is completed as never sent and
 * dropped, and the interceptor retries it elsewhere.
 */
final class MeshPicker extends SubchannelPicker {

  private final Mesh mesh;
  private final String host;
  private final Map<String, Subchannel> ready;

  /** The pick result of each ready connection, made once: intercepted RPCs all share them. */
  private final Map<String, PickResult> picks;

  private final Map<String, ConnectivityState> states;
  private final boolean waiting;

  /** Makes the balancer publish a fresh picker, so that held picks are retried. */
  private final Runnable refresh;

  /**
   * @param ready READY connections by endpoint authority
   * @param states every connection's state by endpoint authority
   * @param waiting no connection is ready but some are connecting: hold picks until one is
   */
  MeshPicker(
      Mesh mesh,
      String host,
      Map<String, Subchannel> ready,
      Map<String, ConnectivityState> states,
      boolean waiting,
      Runnable refresh) {
    this.mesh = mesh;
    this.refresh = refresh;
    this.host = host;
    this.ready = ready;
    Map<String, PickResult> p = new java.util.HashMap<>();
    ready.forEach(
        (k, s) -> p.put(k, PickResult.withSubchannel(s, AttemptTicket.FROM_CALL_OPTIONS)));
    this.picks = Map.copyOf(p);
    this.states = states;
    this.waiting = waiting;
  }

  @Override
  public PickResult pickSubchannel(PickSubchannelArgs args) {
    AttemptTicket t = args.getCallOptions().getOption(AttemptTicket.KEY);
    if (t == null) {
      return pickUnintercepted(args);
    }
    synchronized (t.lock()) {
      if (t.completed) {
        return PickResult.withDrop(Status.UNAVAILABLE.withDescription("attempt already ended"));
      }
      if (t.attempt == null) {
        if (waiting) {
          return PickResult.withNoResult();
        }
        try {
          t.attempt = t.call.startAttempt();
        } catch (MeshException e) {
          return PickResult.withDrop(GrpcStatuses.of(e));
        }
        // The picker may change the call's headers before it returns (PickSubchannelArgs):
        // once per attempt, the propagators write theirs (trace context, attempt counters).
        mesh.inject(t.call, t.attempt, t.rpc != null ? t.rpc : setter(args.getHeaders()));
        if (t.rpc != null) {
          t.rpc.attemptStarted(t);
        }
      }
      Attempt attempt = t.attempt;
      if (attempt.injectedDelayNanos() > 0 && delayed(t, attempt)) {
        return PickResult.withNoResult();
      }
      if (attempt.isInjectedAbort()) {
        return PickResult.withDrop(t.completeInjectedAbort());
      }
      PickResult pick = picks.get(attempt.endpoint().authority());
      return pick != null ? pick : route(t, attempt);
    }
  }

  /**
   * Whether an injected delay still holds the attempt back. Holds t.lock. The first time, a timer
   * is set to publish a fresh picker when the delay is over, which makes gRPC pick again.
   */
  private boolean delayed(AttemptTicket t, Attempt attempt) {
    long now = mesh.ticker().nanoTime();
    if (t.releaseAt == 0) {
      t.releaseAt = attempt.startNanos() + attempt.injectedDelayNanos();
      mesh.scheduler().schedule(refresh, t.releaseAt - now, TimeUnit.NANOSECONDS);
    }
    return now < t.releaseAt;
  }

  /** Holds t.lock. */
  private PickResult route(AttemptTicket t, Attempt attempt) {
    String key = attempt.endpoint().authority();
    Subchannel s = ready.get(key);
    if (s != null) {
      return PickResult.withSubchannel(
          s, t.rpc != null ? AttemptTicket.FROM_CALL_OPTIONS : t.factory());
    }
    ConnectivityState state = states.get(key);
    if (state == ConnectivityState.CONNECTING || state == ConnectivityState.IDLE) {
      return PickResult.withNoResult();
    }
    Status why =
        Status.UNAVAILABLE.withDescription(
            "endpoint "
                + key
                + " of "
                + attempt.call().service()
                + (state == null ? " is not known to this channel yet" : " is unreachable"));
    t.completeUnsent(why);
    return PickResult.withDrop(why);
  }

  /**
   * An RPC on a channel without {@link MeshClientInterceptor} (found through the service registry):
   * routed and balanced here, one attempt, no mesh retries.
   */
  private PickResult pickUnintercepted(PickSubchannelArgs args) {
    if (waiting) {
      return PickResult.withNoResult();
    }
    MeshCall call =
        mesh.newCall(host, new GrpcRequest(args.getMethodDescriptor(), args.getHeaders()));
    if (call == null) {
      return PickResult.withDrop(Status.UNAVAILABLE.withDescription("mesh has no service " + host));
    }
    Attempt attempt;
    try {
      attempt = call.startAttempt();
    } catch (MeshException e) {
      return PickResult.withDrop(GrpcStatuses.of(e));
    }
    AttemptTicket t = new AttemptTicket(call, null);
    t.attempt = attempt;
    if (attempt.isInjectedAbort()) {
      return PickResult.withDrop(t.completeInjectedAbort()); // injected delays need the interceptor
    }
    mesh.inject(call, attempt, setter(args.getHeaders()));
    String key = attempt.endpoint().authority();
    ConnectivityState state = states.get(key);
    if (!ready.containsKey(key)
        && (state == ConnectivityState.CONNECTING || state == ConnectivityState.IDLE)) {
      // Without a ticket a later pick cannot find this attempt again: let it go, pick afresh.
      call.completeCancelled(attempt);
      return PickResult.withNoResult();
    }
    return route(t, attempt);
  }

  private static java.util.function.BiConsumer<String, String> setter(io.grpc.Metadata headers) {
    return (name, value) -> GrpcRequest.set(headers, name, value);
  }

  @Override
  public String toString() {
    return "MeshPicker{" + host + ", ready=" + ready.keySet() + "}";
  }
}
