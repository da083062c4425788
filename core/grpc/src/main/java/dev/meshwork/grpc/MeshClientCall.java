package dev.meshwork.grpc;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshContext;
import dev.meshwork.MeshRequest;
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
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
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
 * headers through {@link MeshRequest}; and the sink the mesh's propagators write an attempt's
 * headers into ({@link #accept}). Both save an object per call.
 *
 * <p>The application drives it from one thread at a time (the {@link ClientCall} contract); the
 * retry timer and the attempts' callbacks meet it under its monitor. Application callbacks run
 * outside the monitor.
 */
final class MeshClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT>
    implements MeshRequest, BiConsumer<String, String> {

  final Mesh mesh;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Channel next;
  final Context context;

  /** Null until start, and for RPCs to authorities the mesh does not know (passed through). */
  private @Nullable MeshCall call;

  // Guarded by this; package-private for AttemptListener.
  @Nullable Listener<RespT> listener;
  private @Nullable Metadata headers;
  @Nullable ClientCall<ReqT, RespT> delegate;
  @Nullable AttemptTicket ticket;

  /** What was sent, kept for replay: the one message, or a {@link Sent} list of several. */
  private @Nullable Object sent;

  private int requested;

  /** Flags below, in one word: a few bytes less per RPC than separate fields. */
  private int flags = KEEP_SENT;

  @Nullable Metadata heldHeaders;
  @Nullable Future<?> pendingRetry;

  /** The first attempt's hedged backup, for calls the mesh may hedge; null otherwise. */
  @Nullable Backup<ReqT, RespT> backup;

  private static final int KEEP_SENT = 1;
  private static final int HALF_CLOSED = 1 << 1;
  private static final int CANCELLED = 1 << 2;
  private static final int COMMITTED = 1 << 3;
  private static final int CLOSED = 1 << 4;
  private static final int COMPRESSION_SET = 1 << 5;
  private static final int COMPRESSION_ON = 1 << 6;

  /** Several messages kept for replay; a private type, so never mistaken for one message. */
  private static final class Sent extends ArrayList<Object> {
    private static final long serialVersionUID = 1L;
  }

  private boolean is(int flag) {
    return (flags & flag) != 0;
  }

  private void set(int flag) {
    flags |= flag;
  }

  boolean isCancelled() {
    return is(CANCELLED);
  }

  boolean isCommitted() {
    return is(COMMITTED);
  }

  void markCommitted() {
    set(COMMITTED);
  }

  boolean isClosed() {
    return is(CLOSED);
  }

  void markClosed() {
    set(CLOSED);
  }

  MeshClientCall(
      Mesh mesh, MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    this.mesh = mesh;
    this.method = method;
    this.callOptions = callOptions;
    this.next = next;
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
        flags &= ~KEEP_SENT;
        delegate = next.newCall(method, callOptions);
        delegate.start(listener, headers);
        return;
      }
      call = c;
      GrpcRequest.applyRouteHeaders(c.route().requestHeaders(), headers);
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

  /** Sets one outgoing header of the current attempt, for the mesh's propagators. Holds this. */
  @Override
  public void accept(String name, String value) {
    Metadata h = headers;
    Metadata.Key<String> key = GrpcRequest.key(name.toLowerCase(java.util.Locale.ROOT));
    if (h != null && key != null) {
      h.discardAll(key);
      h.put(key, value);
    }
  }

  @Override
  public boolean idempotent() {
    return true; // as GrpcRequest: the retry policy's statuses decide
  }

  @Override
  public boolean replayable() {
    return GrpcRequest.isReplayable(method.getType());
  }

  /** Starts the next attempt; its endpoint is chosen when gRPC asks the picker. Holds this. */
  private void startAttempt(MeshCall call) {
    AttemptTicket t = new AttemptTicket(call, this);
    ticket = t;
    heldHeaders = null;
    delegate = open(call, t, headers);
  }

  /** A call on the next channel for attempt {@code t}, started and replayed. Holds this. */
  private ClientCall<ReqT, RespT> open(MeshCall call, AttemptTicket t, @Nullable Metadata h) {
    CallOptions options = callOptions.withOption(AttemptTicket.KEY, t);
    if (call.hasDeadline()) {
      Deadline d = Deadline.after(Math.max(call.remainingNanos(), 0), TimeUnit.NANOSECONDS);
      Deadline given = options.getDeadline();
      if (given == null || d.isBefore(given)) {
        options = options.withDeadline(d);
      }
    }
    ClientCall<ReqT, RespT> d = next.newCall(method, options);
    d.start(new AttemptListener<>(this, t), h != null ? h : new Metadata());
    if (is(COMPRESSION_SET)) {
      d.setMessageCompression(is(COMPRESSION_ON));
    }
    replaySent(d);
    if (is(HALF_CLOSED)) {
      d.halfClose();
    }
    if (requested > 0) {
      d.request(requested);
    }
    return d;
  }

  /**
   * The picker started {@code t}'s attempt (holds this): for the first attempt of a call the mesh
   * may hedge, set the timer that sends its backup.
   */
  void attemptStarted(AttemptTicket t) {
    long delay = t.call.backupDelayNanos();
    if (delay >= 0 && backup == null && t.attempt != null && t.attempt.number() == 1) {
      Backup<ReqT, RespT> b = new Backup<>();
      backup = b;
      b.timer = mesh.scheduler().schedule(context.wrap(this::startBackup), delay, NANOSECONDS);
    }
  }

  /**
   * On the mesh's scheduler once the delay passed: sends the backup, if the first attempt is still
   * alone in flight, everything the application will send was sent (hedged RPCs are unary or
   * server-streaming), and the mesh grants one. Its headers are a copy: the two attempts' streams
   * must not share one {@link Metadata}.
   */
  private void startBackup() {
    synchronized (this) {
      Backup<ReqT, RespT> b = backup;
      MeshCall c = call;
      AttemptTicket primary = ticket;
      if (b == null
          || c == null
          || primary == null
          || primary.completed
          || b.ticket != null
          || is(CANCELLED)
          || is(CLOSED)
          || is(COMMITTED)
          || !is(HALF_CLOSED)) {
        return;
      }
      b.timer = null;
      dev.meshwork.Attempt attempt = c.startBackup();
      if (attempt == null) {
        return;
      }
      AttemptTicket t = new AttemptTicket(c, this);
      t.attempt = attempt;
      Metadata h = new Metadata();
      if (headers != null) {
        h.merge(headers);
      }
      mesh.inject(c, attempt, (name, value) -> GrpcRequest.set(h, name, value));
      b.ticket = t;
      b.delegate = open(c, t, h);
    }
  }

  /** Whether {@code t} is one of the call's live attempts (holds this). */
  boolean isLive(AttemptTicket t) {
    Backup<ReqT, RespT> b = backup;
    return t == ticket || (b != null && t == b.ticket);
  }

  /**
   * Makes {@code winner} the call's only attempt (holds this): it committed, or the other attempt
   * ended without deciding the call. Returns the loser's call to cancel, if it still runs.
   */
  @Nullable ClientCall<ReqT, RespT> settleOn(AttemptTicket winner) {
    Backup<ReqT, RespT> b = backup;
    if (b == null) {
      return null;
    }
    if (b.timer != null) {
      b.timer.cancel(false);
    }
    ClientCall<ReqT, RespT> loser;
    if (winner == b.ticket) {
      loser = ticket != null && !ticket.completed ? delegate : null;
      ticket = b.ticket;
      delegate = b.delegate;
      heldHeaders = b.heldHeaders;
    } else {
      loser = b.ticket != null && !b.ticket.completed ? b.delegate : null;
    }
    backup = null;
    return loser;
  }

  /** A streaming request reached a transport: it can no longer be replayed, so stop keeping it. */
  void attemptReachedTransport(AttemptTicket t) {
    if (!replayable() && t == ticket) {
      flags &= ~KEEP_SENT;
      forgetSent();
    }
  }

  void forgetSent() {
    sent = null;
  }

  @SuppressWarnings("unchecked")
  private void replaySent(ClientCall<ReqT, RespT> d) {
    Object s = sent;
    if (s instanceof Sent) {
      for (Object m : (Sent) s) {
        d.sendMessage((ReqT) m);
      }
    } else if (s != null) {
      d.sendMessage((ReqT) s);
    }
  }

  private void keep(ReqT message) {
    Object s = sent;
    if (s == null) {
      sent = message;
    } else if (s instanceof Sent) {
      ((Sent) s).add(message);
    } else {
      Sent several = new Sent();
      several.add(s);
      several.add(message);
      sent = several;
    }
  }

  @Override
  public synchronized void request(int numMessages) {
    requested += numMessages;
    if (delegate != null) {
      delegate.request(numMessages);
    }
    Backup<ReqT, RespT> b = backup;
    if (b != null && b.delegate != null) {
      b.delegate.request(numMessages);
    }
  }

  @Override
  public void cancel(@Nullable String message, @Nullable Throwable cause) {
    Listener<RespT> deliverTo = null;
    Status status = Status.CANCELLED.withDescription(message).withCause(cause);
    synchronized (this) {
      if (is(CANCELLED) || is(CLOSED)) {
        return;
      }
      set(CANCELLED);
      Backup<ReqT, RespT> b = backup;
      if (b != null) {
        if (b.timer != null) {
          b.timer.cancel(false);
        }
        if (b.delegate != null) {
          b.delegate.cancel(message, cause);
        }
      }
      if (pendingRetry != null) {
        // Between attempts: nothing in flight, so the call ends here.
        pendingRetry.cancel(false);
        pendingRetry = null;
        if (call != null) {
          call.cancel();
        }
        set(CLOSED);
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
    set(HALF_CLOSED);
    if (delegate != null) {
      delegate.halfClose();
    }
  }

  @Override
  public synchronized void sendMessage(ReqT message) {
    if (is(KEEP_SENT) && !is(COMMITTED)) {
      keep(message);
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
    flags = (flags | COMPRESSION_SET) & ~COMPRESSION_ON | (enabled ? COMPRESSION_ON : 0);
    if (delegate != null) {
      delegate.setMessageCompression(enabled);
    }
  }

  @Override
  public synchronized Attributes getAttributes() {
    return delegate != null ? delegate.getAttributes() : Attributes.EMPTY;
  }

  void retry() {
    synchronized (this) {
      pendingRetry = null;
      MeshCall c = call;
      if (is(CANCELLED) || is(CLOSED) || c == null) {
        return;
      }
      startAttempt(c);
    }
  }

  @Override
  public String toString() {
    return "MeshClientCall{" + (call != null ? call : method.getFullMethodName()) + "}";
  }
}
