package dev.meshwork.grpc;

import dev.meshwork.HeaderModifier;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshContext;
import dev.meshwork.MeshRequest;
import dev.meshwork.RetryDecision;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One RPC through the mesh: each attempt is a call on the next channel with a fresh {@link
 * AttemptTicket}; between attempts the call waits out the backoff on the mesh's scheduler, never on
 * a gRPC thread. What the application sent is kept so it can be replayed: for unary and
 * server-streaming RPCs until the first response message (after which the call is committed and
 * never retried), for streaming requests only until an attempt reaches a transport. Response
 * headers are held back until the call commits, so the application sees exactly one attempt.
 *
 * <p>It is also the RPC as the mesh sees it (see {@link GrpcRequest}): routes read its path and
 * headers through {@link MeshRequest}, which saves an object per call.
 *
 * <p>The application drives it from one thread at a time (the {@link ClientCall} contract); the
 * retry timer and the attempts' callbacks meet it under its monitor. Application callbacks run
 * outside the monitor.
 */
final class MeshClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> implements MeshRequest {

  private final Mesh mesh;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  private final boolean replayable;
  private final Context context;

  /** Null until start, and for RPCs to authorities the mesh does not know (passed through). */
  private @Nullable MeshCall call;

  // Guarded by this.
  private @Nullable Listener<RespT> listener;
  private @Nullable Metadata headers;
  private @Nullable ClientCall<ReqT, RespT> delegate;
  private @Nullable AttemptTicket ticket;

  /** What was sent, kept for replay: the first message, then any others. */
  private @Nullable ReqT sentFirst;

  private @Nullable List<ReqT> sentMore;
  private boolean keepSent;
  private int requested;
  private boolean halfClosed;
  private @Nullable Boolean compression;
  private boolean cancelled;
  private boolean committed;
  private boolean closed;
  private @Nullable Metadata heldHeaders;
  private @Nullable Future<?> pendingRetry;

  MeshClientCall(
      Mesh mesh, MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    this.mesh = mesh;
    this.method = method;
    this.callOptions = callOptions;
    this.next = next;
    this.replayable = GrpcRequest.isReplayable(method.getType());
    this.keepSent = true;
    this.context = Context.current();
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    synchronized (this) {
      this.listener = listener;
      this.headers = headers;
    }
    MeshCall c = newCall();
    synchronized (this) {
      if (c == null) {
        keepSent = false;
        delegate = next.newCall(method, callOptions);
        delegate.start(listener, headers);
        return;
      }
      call = c;
      apply(c.route().requestHeaders(), headers);
      startAttempt(c);
    }
  }

  /**
   * Routes the RPC: null when the mesh does not know the channel's authority. The caller's gRPC
   * deadline (call options or context) bounds the mesh call too, so no attempt starts after it.
   */
  private @Nullable MeshCall newCall() {
    String host = next.authority();
    MeshRequest request = this;
    Deadline given = callOptions.getDeadline();
    Deadline inherited = context.getDeadline();
    if (inherited != null && (given == null || inherited.isBefore(given))) {
      given = inherited;
    }
    if (given == null) {
      return mesh.newCall(host, request);
    }
    MeshContext bounded =
        MeshContext.current()
            .withDeadline(
                dev.meshwork.Deadline.afterNanos(
                    given.timeRemaining(TimeUnit.NANOSECONDS), mesh.ticker()));
    try (MeshContext.Scope ignored = bounded.makeCurrent()) {
      return mesh.newCall(host, request);
    }
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String path() {
    return GrpcRequest.path(method);
  }

  @Override
  public synchronized @Nullable String header(String lowerCaseName) {
    Metadata.Key<String> key = GrpcRequest.key(lowerCaseName);
    Metadata h = headers;
    return key == null || h == null ? null : h.get(key);
  }

  @Override
  public boolean idempotent() {
    return true; // as GrpcRequest: the retry policy's statuses decide
  }

  @Override
  public boolean replayable() {
    return replayable;
  }

  /** The route's header changes, once; every attempt sends the same headers. */
  private static void apply(HeaderModifier m, Metadata headers) {
    if (m.isEmpty()) {
      return;
    }
    for (String name : m.remove()) {
      Metadata.Key<String> key = GrpcRequest.key(name);
      if (key != null) {
        headers.discardAll(key);
      }
    }
    for (Map.Entry<String, String> e : m.set().entrySet()) {
      Metadata.Key<String> key = GrpcRequest.key(e.getKey());
      if (key != null) {
        headers.discardAll(key);
        headers.put(key, e.getValue());
      }
    }
    for (Map.Entry<String, String> e : m.add()) {
      Metadata.Key<String> key = GrpcRequest.key(e.getKey());
      if (key != null) {
        headers.put(key, e.getValue());
      }
    }
  }

  /** Starts the next attempt; its endpoint is chosen when gRPC asks the picker. Holds this. */
  private void startAttempt(MeshCall call) {
    AttemptTicket t = new AttemptTicket(call, this);
    ticket = t;
    heldHeaders = null;
    CallOptions options = callOptions.withOption(AttemptTicket.KEY, t);
    if (call.hasDeadline()) {
      Deadline d = Deadline.after(Math.max(call.remainingNanos(), 0), TimeUnit.NANOSECONDS);
      Deadline given = options.getDeadline();
      if (given == null || d.isBefore(given)) {
        options = options.withDeadline(d);
      }
    }
    ClientCall<ReqT, RespT> d = next.newCall(method, options);
    delegate = d;
    d.start(new AttemptListener(t), headers);
    if (compression != null) {
      d.setMessageCompression(compression);
    }
    if (sentFirst != null) {
      d.sendMessage(sentFirst);
      if (sentMore != null) {
        for (ReqT m : sentMore) {
          d.sendMessage(m);
        }
      }
    }
    if (halfClosed) {
      d.halfClose();
    }
    if (requested > 0) {
      d.request(requested);
    }
  }

  /** A streaming request reached a transport: it can no longer be replayed, so stop keeping it. */
  void attemptReachedTransport(AttemptTicket t) {
    if (!replayable && t == ticket) {
      keepSent = false;
      forgetSent();
    }
  }

  private void forgetSent() {
    sentFirst = null;
    sentMore = null;
  }

  @Override
  public synchronized void request(int numMessages) {
    requested += numMessages;
    if (delegate != null) {
      delegate.request(numMessages);
    }
  }

  @Override
  public void cancel(@Nullable String message, @Nullable Throwable cause) {
    Listener<RespT> deliverTo = null;
    Status status = Status.CANCELLED.withDescription(message).withCause(cause);
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      cancelled = true;
      if (pendingRetry != null) {
        // Between attempts: nothing in flight, so the call ends here.
        pendingRetry.cancel(false);
        pendingRetry = null;
        if (call != null) {
          call.cancel();
        }
        closed = true;
        deliverTo = listener;
      } else if (delegate != null) {
        delegate.cancel(message, cause);
      }
    }
    if (deliverTo != null) {
      Listener<RespT> l = deliverTo;
      mesh.scheduler().execute(() -> l.onClose(status, new Metadata()));
    }
  }

  @Override
  public synchronized void halfClose() {
    halfClosed = true;
    if (delegate != null) {
      delegate.halfClose();
    }
  }

  @Override
  public synchronized void sendMessage(ReqT message) {
    if (keepSent && !committed) {
      if (sentFirst == null) {
        sentFirst = message;
      } else {
        if (sentMore == null) {
          sentMore = new ArrayList<>();
        }
        sentMore.add(message);
      }
    }
    if (delegate != null) {
      delegate.sendMessage(message);
    }
  }

  @Override
  public synchronized boolean isReady() {
    return delegate != null && delegate.isReady();
  }

  @Override
  public synchronized void setMessageCompression(boolean enabled) {
    compression = enabled;
    if (delegate != null) {
      delegate.setMessageCompression(enabled);
    }
  }

  @Override
  public synchronized Attributes getAttributes() {
    return delegate != null ? delegate.getAttributes() : Attributes.EMPTY;
  }

  private void retry() {
    synchronized (this) {
      pendingRetry = null;
      MeshCall c = call;
      if (cancelled || closed || c == null) {
        return;
      }
      startAttempt(c);
    }
  }

  /** Receives one attempt's response; only the current attempt's callbacks reach the app. */
  private final class AttemptListener extends Listener<RespT> {
    private final AttemptTicket t;

    AttemptListener(AttemptTicket t) {
      this.t = t;
    }

    @Override
    public void onHeaders(Metadata h) {
      Listener<RespT> l;
      synchronized (MeshClientCall.this) {
        if (t != ticket) {
          return;
        }
        if (!committed) {
          heldHeaders = h;
          return;
        }
        l = listener;
      }
      l.onHeaders(h);
    }

    @Override
    public void onMessage(RespT message) {
      Listener<RespT> l;
      Metadata h = null;
      synchronized (MeshClientCall.this) {
        if (t != ticket) {
          return;
        }
        if (!committed) {
          committed = true;
          t.call.commit();
          forgetSent();
          h = heldHeaders;
          heldHeaders = null;
        }
        l = listener;
      }
      if (h != null) {
        l.onHeaders(h);
      }
      l.onMessage(message);
    }

    @Override
    public void onReady() {
      Listener<RespT> l;
      synchronized (MeshClientCall.this) {
        if (t != ticket) {
          return;
        }
        l = listener;
      }
      l.onReady();
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      Listener<RespT> l;
      Metadata h;
      Status result;
      synchronized (MeshClientCall.this) {
        if (t != ticket || closed) {
          return;
        }
        // Normally the tracer completed the attempt already; this covers streams it never saw.
        t.complete(status, trailers);
        MeshCall call = t.call;
        RetryDecision d = t.decision;
        if (t.attempt == null && !call.isEnded()) {
          call.cancel(); // never picked: the deadline passed or the caller cancelled first
        }
        if (d == RetryDecision.RETRY && !cancelled && !committed) {
          long backoff = t.pushbackNanos >= 0 ? t.pushbackNanos : call.backoffNanos();
          if (!call.hasDeadline() || backoff < call.remainingNanos()) {
            delegate = null;
            pendingRetry =
                mesh.scheduler()
                    .schedule(
                        context.wrap(MeshClientCall.this::retry), backoff, TimeUnit.NANOSECONDS);
            return;
          }
          call.cancel();
          d = RetryDecision.DEADLINE_EXCEEDED;
        } else if (d == RetryDecision.RETRY) {
          call.cancel();
          d = RetryDecision.COMPLETE;
        }
        closed = true;
        forgetSent();
        result = GrpcStatuses.finalStatus(d, status, call);
        h = heldHeaders;
        heldHeaders = null;
        l = listener;
      }
      if (h != null) {
        l.onHeaders(h);
      }
      l.onClose(result, trailers);
    }
  }

  @Override
  public String toString() {
    return "MeshClientCall{" + (call != null ? call : method.getFullMethodName()) + "}";
  }
}
