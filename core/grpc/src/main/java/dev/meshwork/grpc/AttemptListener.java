package dev.meshwork.grpc;

import dev.meshwork.MeshCall;
import dev.meshwork.RetryDecision;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.TimeUnit;

/**
 * Receives one attempt's response for a {@link MeshClientCall}: holds response headers back until
 * the first message commits the call, and on close either schedules the next attempt (on the mesh's
 * scheduler, in the caller's gRPC context) or delivers the call's final status. Only the current
 * attempt's callbacks reach the application, always outside the call's monitor.
 */
final class AttemptListener<ReqT, RespT> extends ClientCall.Listener<RespT> {

  private final MeshClientCall<ReqT, RespT> rpc;

  /**
   * The call's current attempt is this listener's: the next attempt starts only after this one
   * closed, from the retry timer.
   */
  AttemptListener(MeshClientCall<ReqT, RespT> rpc) {
    this.rpc = rpc;
  }

  @Override
  public void onHeaders(Metadata h) {
    ClientCall.Listener<RespT> l;
    synchronized (rpc) {
      if (rpc.ticket == null) {
        return;
      }
      if (!rpc.isCommitted()) {
        rpc.heldHeaders = h;
        return;
      }
      l = rpc.listener;
    }
    l.onHeaders(h);
  }

  @Override
  public void onMessage(RespT message) {
    ClientCall.Listener<RespT> l;
    Metadata h = null;
    synchronized (rpc) {
      if (rpc.ticket == null) {
        return;
      }
      if (!rpc.isCommitted()) {
        rpc.markCommitted();
        rpc.ticket.call.commit();
        rpc.forgetSent();
        h = rpc.heldHeaders;
        rpc.heldHeaders = null;
      }
      l = rpc.listener;
    }
    if (h != null) {
      l.onHeaders(h);
    }
    l.onMessage(message);
  }

  @Override
  public void onReady() {
    ClientCall.Listener<RespT> l;
    synchronized (rpc) {
      if (rpc.ticket == null) {
        return;
      }
      l = rpc.listener;
    }
    l.onReady();
  }

  @Override
  public void onClose(Status status, Metadata trailers) {
    ClientCall.Listener<RespT> l;
    Metadata h;
    Status result;
    synchronized (rpc) {
      AttemptTicket t = rpc.ticket;
      if (t == null || rpc.isClosed()) {
        return;
      }
      // Normally the tracer completed the attempt already; this covers streams it never saw.
      t.complete(status, trailers);
      MeshCall call = t.call;
      RetryDecision d = t.decision;
      if (t.attempt == null && !call.isEnded()) {
        call.cancel(); // never picked: the deadline passed or the caller cancelled first
      }
      if (d == RetryDecision.RETRY && !rpc.isCancelled() && !rpc.isCommitted()) {
        long backoff = t.pushbackNanos >= 0 ? t.pushbackNanos : call.backoffNanos();
        if (!call.hasDeadline() || backoff < call.remainingNanos()) {
          rpc.delegate = null;
          rpc.pendingRetry =
              rpc.mesh
                  .scheduler()
                  .schedule(rpc.context.wrap(rpc::retry), backoff, TimeUnit.NANOSECONDS);
          return;
        }
        call.cancel();
        d = RetryDecision.DEADLINE_EXCEEDED;
      } else if (d == RetryDecision.RETRY) {
        call.cancel();
        d = RetryDecision.COMPLETE;
      }
      rpc.markClosed();
      rpc.forgetSent();
      result = GrpcStatuses.finalStatus(d, status, call);
      h = rpc.heldHeaders;
      rpc.heldHeaders = null;
      l = rpc.listener;
    }
    if (h != null) {
      l.onHeaders(h);
    }
    l.onClose(result, trailers);
  }
}
