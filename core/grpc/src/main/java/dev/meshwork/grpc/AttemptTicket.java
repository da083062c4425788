package dev.meshwork.grpc;

import dev.meshwork.Attempt;
import dev.meshwork.MeshCall;
import dev.meshwork.RetryDecision;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * One attempt of an RPC, handed from the interceptor to the picker in {@link #KEY} (a new ticket,
 * so a new {@code CallOptions}, per attempt). The picker starts the mesh attempt the first time it
 * sees the ticket (gRPC may pick again for the same stream; those picks reuse the attempt), and the
 * ticket, as the stream's tracer, completes it when the stream closes. Whichever of picker, tracer
 * or call listener gets there first completes the attempt; the others find it completed.
 *
 * <p>Guarded by {@link #lock()}: the RPC's own call object, or the ticket itself for RPCs the
 * interceptor did not see.
 */
final class AttemptTicket extends ClientStreamTracer {

  static final CallOptions.Key<AttemptTicket> KEY = CallOptions.Key.create("meshwork.attempt");

  static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  /** Finds the ticket of an intercepted RPC's stream in its call options. */
  static final ClientStreamTracer.Factory FROM_CALL_OPTIONS =
      new ClientStreamTracer.Factory() {
        @Override
        public ClientStreamTracer newClientStreamTracer(StreamInfo info, Metadata headers) {
          AttemptTicket t = info.getCallOptions().getOption(KEY);
          return t == null ? NOOP : t.tracer();
        }
      };

  private static final ClientStreamTracer NOOP = new ClientStreamTracer() {};

  final MeshCall call;
  final @Nullable MeshClientCall<?, ?> rpc;

  @Nullable Attempt attempt;
  boolean streamCreated;
  boolean completed;
  @Nullable RetryDecision decision;

  /** The server's pushback in nanoseconds; -1 when it sent none. */
  long pushbackNanos = -1;

  /** When an injected delay lets the attempt go (ticker nanos); 0 until the delay is scheduled. */
  long releaseAt;

  private boolean tracing;

  AttemptTicket(MeshCall call, @Nullable MeshClientCall<?, ?> rpc) {
    this.call = call;
    this.rpc = rpc;
  }

  /** The monitor guarding this ticket: the RPC's call object, or the ticket itself. */
  Object lock() {
    MeshClientCall<?, ?> r = rpc;
    return r != null ? r : this;
  }

  /**
   * This ticket as its stream's tracer, once. One attempt is one stream (the mesh retries; gRPC's
   * own retries are off); a second stream for the same pick would be gRPC retrying below us, which
   * must not complete the attempt twice.
   */
  ClientStreamTracer tracer() {
    synchronized (lock()) {
      if (tracing) {
        return NOOP;
      }
      tracing = true;
      return this;
    }
  }

  /** A tracer factory for an RPC the interceptor did not see (its options carry no ticket). */
  ClientStreamTracer.Factory factory() {
    return new ClientStreamTracer.Factory() {
      @Override
      public ClientStreamTracer newClientStreamTracer(StreamInfo info, Metadata headers) {
        return tracer();
      }
    };
  }

  /**
   * Completes the attempt with the stream's final status, once. An attempt whose stream never
   * reached a transport never reached a server, which makes any RPC safe to retry.
   */
  void complete(Status status, @Nullable Metadata trailers) {
    synchronized (lock()) {
      Attempt a = attempt;
      if (a == null || completed) {
        return;
      }
      completed = true;
      if (trailers != null) {
        readPushback(trailers);
      }
      if (!streamCreated && !status.isOk()) {
        decision = call.completeError(a, status.asRuntimeException(), true);
      } else {
        decision = call.completeGrpc(a, status.getCode().value());
      }
      endUnlessRetried();
    }
  }

  /** Completes an attempt the picker could not send (its endpoint has no usable connection). */
  void completeUnsent(Status why) {
    synchronized (lock()) {
      Attempt a = attempt;
      if (a == null || completed) {
        return;
      }
      completed = true;
      decision = call.completeError(a, why.asRuntimeException(), true);
      endUnlessRetried();
    }
  }

  /**
   * Completes an attempt that fault injection aborts, as if the server had closed it with the
   * injected code, and returns that status for the picker to drop the stream with.
   */
  Status completeInjectedAbort() {
    synchronized (lock()) {
      Attempt a = attempt;
      int code = a == null ? Status.Code.UNAVAILABLE.value() : a.injectedGrpcCode();
      Status status =
          Status.fromCodeValue(code)
              .withDescription("fault injected by the mesh into a call to " + call.service());
      if (a != null && !completed) {
        completed = true;
        decision = call.completeGrpc(a, code);
        endUnlessRetried();
      }
      return status;
    }
  }

  /** Without the interceptor nobody retries: end a call that was granted a retry. */
  private void endUnlessRetried() {
    if (rpc == null && decision == RetryDecision.RETRY) {
      call.cancel();
    }
  }

  /** gRFC A6: a negative or malformed pushback forbids a retry; a positive one is the backoff. */
  private void readPushback(Metadata trailers) {
    String value = trailers.get(PUSHBACK);
    if (value == null) {
      return;
    }
    long ms;
    try {
      ms = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      ms = -1;
    }
    if (ms < 0) {
      call.commit();
    } else {
      pushbackNanos = Math.min(ms, Long.MAX_VALUE / 1_000_000) * 1_000_000L;
    }
  }

  @Override
  public void streamCreated(Attributes transportAttrs, Metadata headers) {
    synchronized (lock()) {
      streamCreated = true;
      if (rpc != null) {
        rpc.attemptReachedTransport(this);
      }
    }
  }

  @Override
  public void inboundTrailers(Metadata trailers) {
    synchronized (lock()) {
      if (!completed) {
        readPushback(trailers);
      }
    }
  }

  @Override
  public void streamClosed(Status status) {
    complete(status, null);
  }

  @Override
  public String toString() {
    return "AttemptTicket{" + (attempt == null ? "not started" : attempt) + "}";
  }
}
