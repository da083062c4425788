package dev.meshwork.okhttp;

import dev.meshwork.Attempt;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.RetryDecision;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The first attempt of a call that may be hedged, and its backup: the original and (if the mesh
 * grants one after {@link MeshCall#backupDelayNanos()}) a backup race, the first answer wins and
 * the other is cancelled.
 *
 * <p>Why separate calls: one OkHttp call carries one exchange at a time and cancelling it loses its
 * response, so the application's call cannot race two attempts. Each attempt runs as its own call,
 * a {@linkplain Call#clone() clone} of the application's call tagged with an {@link AttemptTag};
 * the {@link MeshInterceptor} sends a tagged call straight to its attempt's endpoint. The original
 * runs on the application's thread, the backup on a daemon thread of this class (not the client's
 * dispatcher, whose per-host limit would queue it behind the very calls it is meant to overtake).
 * Cancelling the application's call cancels both (through a call event listener). Consequences
 * worth knowing: application interceptors added before the mesh's, and the client's event
 * listeners, see each attempt of a hedged call as a call of its own.
 *
 * <p>Thread-safety: the two attempts complete on different threads; every use of the {@link
 * MeshCall} after the race began happens under this object's monitor, as the call requires.
 */
final class HedgedExchange extends EventListener {

  private static final ExecutorService BACKUPS =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "meshwork-okhttp-backup");
            t.setDaemon(true);
            return t;
          });

  /** How a routed attempt (or a hedged race) ended. */
  record Outcome(
      @Nullable Response response, @Nullable IOException error, RetryDecision decision) {}

  private final Mesh mesh;
  private final MeshCall call;
  private final Interceptor.Chain chain;
  private final Request request;
  private final CompletableFuture<Outcome> done = new CompletableFuture<>();

  // Guarded by this.
  private @Nullable Call original;
  private @Nullable Call backup;
  private @Nullable Future<?> timer;

  HedgedExchange(Mesh mesh, MeshCall call, Interceptor.Chain chain, Request request) {
    this.mesh = mesh;
    this.call = call;
    this.chain = chain;
    this.request = request;
  }

  /** Runs the race for {@code first}, the call's first attempt, and returns the winner. */
  Outcome run(Attempt first) throws IOException {
    Call c;
    synchronized (this) {
      c = child(first);
      original = c;
      timer =
          mesh.scheduler()
              .schedule(this::sendBackup, call.backupDelayNanos(), TimeUnit.NANOSECONDS);
    }
    chain.call().addEventListener(this);
    if (chain.call().isCanceled()) {
      cancelAll();
    }
    execute(c, first);
    try {
      return done.get();
    } catch (InterruptedException e) {
      cancelAll();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while hedging a call to " + call.service());
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /** The application cancelled its call: cancel every attempt. */
  @Override
  public void canceled(Call appCall) {
    cancelAll();
  }

  private void cancelAll() {
    Call o;
    Call b;
    synchronized (this) {
      o = original;
      b = backup;
      if (timer != null) {
        timer.cancel(false);
      }
    }
    if (o != null) {
      o.cancel();
    }
    if (b != null) {
      b.cancel();
    }
  }

  /** On the mesh's scheduler, once the delay has passed: starts the backup, if granted. */
  private void sendBackup() {
    Attempt attempt;
    Call c;
    synchronized (this) {
      if (done.isDone() || chain.call().isCanceled()) {
        return;
      }
      attempt = call.startBackup();
      if (attempt == null) {
        return;
      }
      c = child(attempt);
      backup = c;
    }
    try {
      BACKUPS.execute(() -> execute(c, attempt));
    } catch (RejectedExecutionException e) {
      settle(c, attempt, null, new java.net.ConnectException("backup not started: " + e));
    }
  }

  /** A clone of the application's call that sends exactly {@code attempt}. */
  private Call child(Attempt attempt) {
    Request out =
        MeshInterceptor.outbound(request, request.url(), call, attempt, request.url().port(), mesh);
    AttemptTag tag = new AttemptTag(mesh, call, attempt, out);
    Call c = chain.call().clone();
    c.tag(CallTags.ATTEMPT, () -> tag);
    return c;
  }

  /** Runs one attempt's call to its end. */
  private void execute(Call c, Attempt attempt) {
    Response response = null;
    IOException error = null;
    try {
      response = c.execute();
    } catch (IOException e) {
      error = e;
    } catch (RuntimeException e) {
      error = new IOException(e);
    }
    settle(c, attempt, response, error);
  }

  /** Completes one attempt, and the race if this attempt decides it. */
  private void settle(
      Call c, Attempt attempt, @Nullable Response response, @Nullable IOException error) {
    Call other;
    synchronized (this) {
      if (done.isDone()) {
        // Lost the race (and was cancelled, or finished just behind the winner).
        if (attempt.result() == null) {
          call.completeCancelled(attempt);
        }
        if (response != null) {
          response.close();
        }
        return;
      }
      RetryDecision d;
      if (response != null) {
        d = call.completeHttp(attempt, response.code());
      } else if (chain.call().isCanceled()) {
        d = call.completeCancelled(attempt);
      } else {
        IOException e = error != null ? error : new IOException("no response");
        d = call.completeError(attempt, e, MeshInterceptor.neverSent(e));
      }
      if (d == RetryDecision.AWAITING_OTHER_ATTEMPT) {
        if (response != null) {
          response.close();
        }
        return;
      }
      if (timer != null) {
        timer.cancel(false);
      }
      other = c == original ? backup : original;
      done.complete(new Outcome(response, error, d));
    }
    if (other != null) {
      other.cancel();
    }
  }

  /**
   * The tag that marks a clone as one attempt of a hedged call: the {@link MeshInterceptor} sends
   * it to the attempt's endpoint as prepared, with no routing of its own.
   */
  static final class AttemptTag {
    private final Mesh mesh;
    private final MeshCall call;
    private final Attempt attempt;
    private final Request outbound;

    AttemptTag(Mesh mesh, MeshCall call, Attempt attempt, Request outbound) {
      this.mesh = mesh;
      this.call = call;
      this.attempt = attempt;
      this.outbound = outbound;
    }

    Response send(Interceptor.Chain chain) throws IOException {
      InjectedFaults.delay(mesh, attempt);
      if (attempt.isInjectedAbort()) {
        return InjectedFaults.abort(outbound, attempt);
      }
      TransportSecurity security = mesh.transportSecurity();
      SpiffeId identity = EndpointTls.expected(security, call, attempt);
      Request out =
          identity == null
              ? outbound
              : outbound.newBuilder().url(EndpointTls.https(outbound.url())).build();
      EndpointConnector connector = EndpointConnector.of(attempt);
      Interceptor.Chain bounded =
          MeshInterceptor.forAttempt(
              chain, attempt, connector, out.body() != null, security, identity);
      return bounded.proceed(out);
    }
  }
}
