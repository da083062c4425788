package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshSource;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Routes, splits and access rules from the Kubernetes API, and endpoints from EndpointSlices, in
 * one namespace. Watches (with fabric8 informers) SMI TrafficSplit, HTTPRouteGroup, TCPRoute,
 * UDPRoute, TrafficTarget and IdentityBinding in whichever version the cluster serves (or the one
 * pinned with {@link Builder#version}), Gateway API HTTPRoute and GRPCRoute attached to Services,
 * and the EndpointSlices of every Service the mesh routes to: ready pod IPs (serving ones when none
 * is ready) at the Service's port, labelled with {@code zone}, {@code node} and {@code pod}.
 *
 * <p>An invalid resource is reported to {@link dev.meshwork.MeshListener#configRejected} and its
 * previous version stays in force. When the API server goes away, the last config and endpoints
 * stay, the outage is reported to {@link dev.meshwork.MeshListener#sourceFailed}, and the informers
 * reconnect and resynchronise on their own. Thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(KubernetesSource.builder(new KubernetesClientBuilder().build())
 *         .namespace("shop")
 *         .build())
 *     .build();
 * }</pre>
 */
public final class KubernetesSource implements MeshSource {

  private static final System.Logger LOG = System.getLogger(KubernetesSource.class.getName());
  private static final long DEBOUNCE_MILLIS = 20;

  private final KubernetesClient client;
  private final boolean ownsClient;
  private final String namespace;
  private final Map<String, String> pinned;
  private final Duration checkInterval;
  private final ResourceStore store = new ResourceStore();
  private final Informers informers = new Informers();
  private final Informers.Events events =
      new Informers.Events() {
        @Override
        public void upsert(String apiVersion, String kind, GenericKubernetesResource resource) {
          KubernetesSource.this.upsert(apiVersion, kind, resource);
        }

        @Override
        public void delete(String kind, GenericKubernetesResource resource) {
          KubernetesSource.this.delete(kind, resource);
        }

        @Override
        public void sliceChanged(EndpointSlice slice) {
          KubernetesSource.this.sliceChanged(slice);
        }

        @Override
        public boolean failed(Throwable error) {
          onFailure(error);
          return !closed;
        }
      };
  private final ServiceEndpoints endpoints;
  private @Nullable ScheduledExecutorService executor;
  private @Nullable SourceContext context;
  private @Nullable ResourceParser parser;
  private @Nullable MeshConfig published;
  private Set<String> reported = Set.of();
  private boolean synced;
  private boolean pending;
  private boolean failing;
  private volatile boolean closed;
  private long retryMillis = 500;

  private KubernetesSource(Builder b) {
    this.client = b.client;
    this.ownsClient = b.ownsClient;
    this.namespace =
        b.namespace != null
            ? b.namespace
            : Objects.requireNonNullElse(client.getNamespace(), ServiceName.DEFAULT_NAMESPACE);
    this.pinned = Map.copyOf(b.pinned);
    this.endpoints = new ServiceEndpoints(namespace, b.portName);
    this.checkInterval = b.checkInterval;
  }

  public static Builder builder(KubernetesClient client) {
    return new Builder(Objects.requireNonNull(client, "client"), false);
  }

  /** A source with its own client, configured from the environment (in-cluster or kubeconfig). */
  public static Builder fromEnvironment() {
    return new Builder(new KubernetesClientBuilder().build(), true);
  }

  @Override
  public String name() {
    return "kubernetes " + namespace;
  }

  /** The namespace watched. */
  public String namespace() {
    return namespace;
  }

  @Override
  public synchronized void start(SourceContext context) {
    this.context = context;
    this.parser = new ResourceParser(namespace);
    ScheduledExecutorService e =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "meshwork-kubernetes " + namespace);
              t.setDaemon(true);
              return t;
            });
    this.executor = e;
    context.onServicesChanged(this::servicesChanged);
    e.execute(this::connect);
  }

  /** Starts the informers; retried with backoff until discovery and the first listing work. */
  private void connect() {
    CompletableFuture<Void> listed;
    try {
      listed = informers.start(client, namespace, pinned, events);
    } catch (RuntimeException e) {
      onFailure(e);
      if (!closed) {
        Objects.requireNonNull(executor)
            .schedule(this::connect, retryMillis, TimeUnit.MILLISECONDS);
        retryMillis = Math.min(retryMillis * 2, 30_000);
      }
      return;
    }
    listed.whenComplete((ok, error) -> execute(this::synced));
  }

  private void upsert(String apiVersion, String kind, GenericKubernetesResource r) {
    Map<String, Object> doc = ApiVersions.document(apiVersion, kind, r);
    synchronized (this) {
      try {
        Resource parsed = Objects.requireNonNull(parser).parse(Node.root("", doc), "kubernetes");
        if (parsed != null) {
          store.put(bucket(kind, r), List.of(parsed));
        }
      } catch (ConfigException e) {
        // The resource's previous version, if any, stays in force.
        Objects.requireNonNull(context).rejectConfig(e);
        return;
      }
      schedule();
    }
  }

  private synchronized void delete(String kind, GenericKubernetesResource r) {
    if (store.remove(bucket(kind, r))) {
      schedule();
    }
  }

  private static String bucket(String kind, GenericKubernetesResource r) {
    return kind + "/" + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
  }

  private synchronized void sliceChanged(EndpointSlice slice) {
    String service = EndpointSlices.service(slice);
    if (service != null) {
      endpoints.changed(service);
      schedule();
    }
  }

  private synchronized void servicesChanged(Set<ServiceName> services) {
    endpoints.watch(services);
    schedule();
  }

  private synchronized void schedule() {
    if (!pending && !closed && executor != null) {
      pending = true;
      executor.schedule(this::flush, DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void execute(Runnable task) {
    ScheduledExecutorService e = executor;
    if (e != null && !closed) {
      e.execute(task);
    }
  }

  private synchronized void synced() {
    if (closed || synced) {
      return;
    }
    synced = true;
    flush();
    Objects.requireNonNull(context).ready();
    Objects.requireNonNull(executor)
        .scheduleWithFixedDelay(
            this::checkWatches,
            checkInterval.toMillis(),
            checkInterval.toMillis(),
            TimeUnit.MILLISECONDS);
  }

  /** Publishes what changed since the last flush; nothing before the first complete listing. */
  private synchronized void flush() {
    pending = false;
    if (!synced || closed) {
      return;
    }
    SourceContext ctx = Objects.requireNonNull(context);
    Compiler.Result result = store.compile();
    Set<String> now = new HashSet<>();
    for (ConfigException problem : result.problems()) {
      now.add(problem.getMessage());
      if (!reported.contains(problem.getMessage())) {
        ctx.rejectConfig(problem);
      }
    }
    reported = now;
    if (!result.config().equals(published)) {
      published = result.config();
      ctx.publishConfig(result.config());
    }
    endpoints.publish(ctx, informers.slices());
  }

  private synchronized void checkWatches() {
    if (informers.watching()) {
      if (failing) {
        failing = false;
        Objects.requireNonNull(context).reportRecovered();
      }
    } else {
      onFailure(new java.io.IOException(name() + ": lost the watch on the API server"));
    }
  }

  private synchronized void onFailure(Throwable error) {
    if (!failing && !closed) {
      failing = true;
      LOG.log(System.Logger.Level.WARNING, name() + ": " + error, error);
      Objects.requireNonNull(context).reportFailure(error);
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (executor != null) {
        executor.shutdownNow();
      }
    }
    informers.stop();
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "KubernetesSource{" + namespace + "}";
  }

  /** Configures a {@link KubernetesSource}. Not thread-safe. */
  public static final class Builder {
    private final KubernetesClient client;
    private final boolean ownsClient;
    private @Nullable String namespace;
    private final Map<String, String> pinned = new HashMap<>();
    private @Nullable String portName;
    private Duration checkInterval = Duration.ofSeconds(1);

    private Builder(KubernetesClient client, boolean ownsClient) {
      this.client = client;
      this.ownsClient = ownsClient;
    }

    /** The namespace to watch; default the client's namespace, else {@code default}. */
    public Builder namespace(String namespace) {
      this.namespace = ServiceName.of("x", namespace).namespace();
      return this;
    }

    /**
     * Watches {@code group} (such as {@code split.smi-spec.io}) at {@code version} instead of the
     * newest version the cluster lists.
     */
    public Builder version(String group, String version) {
      pinned.put(
          Objects.requireNonNull(group, "group"), Objects.requireNonNull(version, "version"));
      return this;
    }

    /**
     * The Service port (by name) that endpoints use; by default the only port, else the one named
     * {@code http} or {@code grpc}, else the first.
     */
    public Builder portName(String portName) {
      this.portName = Objects.requireNonNull(portName, "portName");
      return this;
    }

    /** How often the informers' connections are checked, to report outages; default 1 s. */
    public Builder healthCheckInterval(Duration interval) {
      this.checkInterval = SmiFileSource.Builder.positive(interval, "healthCheckInterval");
      return this;
    }

    public KubernetesSource build() {
      return new KubernetesSource(this);
    }
  }
}
