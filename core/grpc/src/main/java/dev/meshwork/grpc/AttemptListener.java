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
 * scheduler, in the caller's gRPC context) or delivers the call's final status. Only the call's
 * live attempts' callbacks count, always outside the call's monitor towards the application.
 *
 * <p>While a hedged backup races the first attempt, both are live: the first to send a message
 * commits the call (the other is cancelled and completes as ignored); an attempt that closes
 * without deciding the call ({@link RetryDecision#AWAITING_OTHER_ATTEMPT}) leaves it to the other;
 * one that closes deciding it (success, or the last failure) cancels the other.
 */
final class AttemptListener<ReqT, RespT> extends ClientCall.Listener<RespT> {

  private static final String SUPERSEDED = "another attempt of this call answered first";

  private final MeshClientCall<ReqT, RespT> rpc;
  private final AttemptTicket ticket;

  AttemptListener(MeshClientCall<ReqT, RespT> rpc, AttemptTicket ticket) {
    this.rpc = rpc;
    this.ticket = ticket;
  }

  @Override
  public void onHeaders(Metadata h) {
    ClientCall.Listener<RespT> l;
    synchronized (rpc) {
      if (!rpc.isLive(ticket)) {
        return;
      }
      if (!rpc.isCommitted()) {
        Backup<ReqT, RespT> b = rpc.backup;
        if (b != null && b.ticket == ticket) {
          b.heldHeaders = h;
        } else {
          rpc.heldHeaders = h;
        }
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
      if (!rpc.isLive(ticket)) {
        return;
      }
      if (!rpc.isCommitted()) {
        ClientCall<ReqT, RespT> loser = rpc.settleOn(ticket);
        if (loser != null) {
          loser.cancel(SUPERSEDED, null);
        }
        rpc.markCommitted();
        ticket.call.commit();
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
      if (ticket != rpc.ticket) {
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
      AttemptTicket t = ticket;
      // Normally the tracer completed the attempt already; this covers streams it never saw.
      t.complete(status, trailers);
      if (rpc.isClosed() || !rpc.isLive(t)) {
        return;
      }
      MeshCall call = t.call;
      RetryDecision d = t.decision;
      if (d == RetryDecision.AWAITING_OTHER_ATTEMPT) {
        Backup<ReqT, RespT> b = rpc.backup;
        AttemptTicket other = b != null && b.ticket != t ? b.ticket : rpc.ticket;
        if (other != null) {
          rpc.settleOn(other); // the other attempt decides; this one is done
        }
        return;
      }
      ClientCall<ReqT, RespT> loser = rpc.settleOn(t);
      if (loser != null) {
        loser.cancel(SUPERSEDED, null);
      }
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
