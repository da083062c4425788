package dev.meshwork.smi;

import dev.meshwork.RandomSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Kubernetes source's hold on the API server: starts the {@link Informers} (discovery, then the
 * first listings), retrying with jittered exponential backoff while the API server cannot be
 * reached; then checks the informers' watches every {@code checkInterval} to report outages and
 * recoveries, and looks for kinds the cluster did not serve every {@code discoveryInterval}, so a
 * CRD installed after startup is watched without a restart. Everything runs on the source's one
 * executor thread. Thread-safe.
 */
final class ApiServerConnection {

  private static final System.Logger LOG = System.getLogger(ApiServerConnection.class.getName());
  private static final long RETRY_BASE_MILLIS = 250;
  private static final long RETRY_MAX_MILLIS = 30_000;

  /** What the connection tells its source; called on the executor or fabric8's threads. */
  interface Listener {
    /** Every informer has listed (or given up on a kind it may not read): the first full view. */
    void synced();

    /** The API server cannot be reached; reported once per outage. */
    void failed(Throwable error);

    /** The watches are live again after {@link #failed}. */
    void recovered();
  }

  /** How often to check watches and look for kinds again. */
  record Intervals(Duration check, Duration discovery) {}

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, String> pinned;
  private final boolean watchPods;
  private final Informers informers;
  private final Informers.Events events;
  private final ScheduledExecutorService executor;
  private final Intervals intervals;
  private final RandomSource random;
  private final Listener listener;
  private final String name;
  private int attempts;
  private int downChecks; // consecutive checks that found a watch down; on the executor only
  private boolean failing;
  private volatile boolean closed;

  ApiServerConnection(
      KubernetesClient client,
      String namespace,
      Map<String, String> pinned,
      boolean watchPods,
      Informers informers,
      Informers.Events events,
      ScheduledExecutorService executor,
      Intervals intervals,
      RandomSource random,
      Listener listener) {
    this.client = client;
    this.namespace = namespace;
    this.pinned = pinned;
    this.watchPods = watchPods;
    this.informers = informers;
    this.events = reportingFailures(events);
    this.executor = executor;
    this.intervals = intervals;
    this.random = random;
    this.listener = listener;
    this.name = "kubernetes " + namespace;
  }

  /** {@code events}, with informer failures reported (once per outage) by this connection. */
  private Informers.Events reportingFailures(Informers.Events events) {
    return new Informers.Events() {
      @Override
      public void upsert(
          String apiVersion,
          String kind,
          io.fabric8.kubernetes.api.model.GenericKubernetesResource r) {
        events.upsert(apiVersion, kind, r);
      }

      @Override
      public void delete(String kind, io.fabric8.kubernetes.api.model.GenericKubernetesResource r) {
        events.delete(kind, r);
      }

      @Override
      public void sliceChanged(io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice slice) {
        events.sliceChanged(slice);
      }

      @Override
      public void podsChanged() {
        events.podsChanged();
      }

      @Override
      public boolean failed(Throwable error) {
        ApiServerConnection.this.failed(error);
        return !closed;
      }
    };
  }

  void start() {
    executor.execute(this::connect);
  }

  private void connect() {
    if (closed) {
      return;
    }
    CompletableFuture<Void> listed;
    try {
      listed = informers.start(client, namespace, pinned, events, watchPods);
    } catch (RuntimeException e) {
      failed(e);
      executor.schedule(this::connect, retryDelayMillis(++attempts), TimeUnit.MILLISECONDS);
      return;
    }
    listed.whenComplete((ok, error) -> execute(this::listed));
  }

  /** Full jitter over an exponential ceiling: spreads many clients' retries apart. */
  private long retryDelayMillis(int attempt) {
    long ceiling = Math.min(RETRY_MAX_MILLIS, RETRY_BASE_MILLIS << Math.min(attempt - 1, 16));
    return ceiling / 2 + random.nextLong(ceiling / 2 + 1);
  }

  private void listed() {
    if (closed) {
      return;
    }
    listener.synced();
    long check = intervals.check().toMillis();
    executor.scheduleWithFixedDelay(this::checkWatches, check, check, TimeUnit.MILLISECONDS);
    long discovery = intervals.discovery().toMillis();
    executor.scheduleWithFixedDelay(
        this::lookForNewKinds, discovery, discovery, TimeUnit.MILLISECONDS);
  }

  /**
   * An informer re-establishes its watch on its own when the API server closes it (as API servers
   * do every few minutes), so one check that finds a watch down is not yet an outage: two in a row
   * are. Errors the informers report themselves are outages at once.
   */
  private void checkWatches() {
    if (informers.watching()) {
      downChecks = 0;
      recovered();
    } else if (++downChecks >= 2) {
      failed(new IOException(name + ": lost the watch on the API server"));
    }
  }

  private void lookForNewKinds() {
    try {
      informers.startNewlyServed(client, namespace, pinned, events);
    } catch (RuntimeException e) {
      // The watches report an outage on their own; discovery is tried again next time.
      LOG.log(System.Logger.Level.DEBUG, name + ": looking for newly served kinds: " + e);
    }
  }

  private synchronized void failed(Throwable error) {
    if (!failing && !closed) {
      failing = true;
      LOG.log(System.Logger.Level.WARNING, name + ": " + error, error);
      listener.failed(error);
    }
  }

  private synchronized void recovered() {
    if (failing && !closed) {
      failing = false;
      listener.recovered();
    }
  }

  private void execute(Runnable task) {
    if (!closed) {
      try {
        executor.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException shutDown) {
        // Closed meanwhile.
      }
    }
  }

  void close() {
    closed = true;
    informers.stop();
  }
}
