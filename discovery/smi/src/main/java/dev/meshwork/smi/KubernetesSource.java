package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshSource;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
  private final @Nullable String portName;
  private final Duration checkInterval;
  private final ResourceStore store = new ResourceStore();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final Set<String> dirtyServices = new HashSet<>();
  private final Map<ServiceName, List<Endpoint>> publishedEndpoints = new HashMap<>();
  private @Nullable SharedIndexInformer<EndpointSlice> slices;
  private @Nullable ScheduledExecutorService executor;
  private @Nullable SourceContext context;
  private @Nullable ResourceParser parser;
  private Set<ServiceName> watched = Set.of();
  private @Nullable MeshConfig published;
  private Set<String> reported = Set.of();
  private boolean synced;
  private boolean pending;
  private boolean failing;
  private boolean closed;
  private long retryMillis = 500;

  private KubernetesSource(Builder b) {
    this.client = b.client;
    this.ownsClient = b.ownsClient;
    this.namespace =
        b.namespace != null
            ? b.namespace
            : Objects.requireNonNullElse(client.getNamespace(), ServiceName.DEFAULT_NAMESPACE);
    this.pinned = Map.copyOf(b.pinned);
    this.portName = b.portName;
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

  /** Discovers the served versions and starts one informer per kind; retried until it works. */
  private void connect() {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    try {
      for (ApiVersions.Kind kind : ApiVersions.KINDS) {
        ApiVersions.served(client, kind, pinned)
            .ifPresentOrElse(
                version -> started.add(inform(kind, version)),
                () ->
                    LOG.log(System.Logger.Level.INFO, "{0}: {1} not served", name(), kind.kind()));
      }
      SharedIndexInformer<EndpointSlice> s =
          client.discovery().v1().endpointSlices().inNamespace(namespace).runnableInformer(0);
      s.addEventHandler(handler(this::sliceChanged, this::sliceChanged));
      s.exceptionHandler(this::retryAfter);
      register(s);
      slices = s;
      started.add(s.start().toCompletableFuture());
    } catch (RuntimeException e) {
      stopInformers();
      started.clear();
      onFailure(e);
      if (!closed) {
        Objects.requireNonNull(executor)
            .schedule(this::connect, retryMillis, TimeUnit.MILLISECONDS);
        retryMillis = Math.min(retryMillis * 2, 30_000);
      }
      return;
    }
    CompletableFuture.allOf(started.toArray(new CompletableFuture<?>[0]))
        .whenComplete((ok, error) -> execute(this::synced));
  }

  private CompletableFuture<Void> inform(ApiVersions.Kind kind, String version) {
    SharedIndexInformer<GenericKubernetesResource> informer =
        client
            .genericKubernetesResources(kind.context(version))
            .inNamespace(namespace)
            .runnableInformer(0);
    String apiVersion = kind.group() + "/" + version;
    informer.addEventHandler(
        handler(r -> upsert(apiVersion, kind.kind(), r), r -> delete(kind.kind(), r)));
    informer.exceptionHandler(this::retryAfter);
    register(informer);
    return informer.start().toCompletableFuture();
  }

  private synchronized void register(SharedIndexInformer<?> informer) {
    informers.add(informer);
  }

  private static <T> ResourceEventHandler<T> handler(
      java.util.function.Consumer<T> upsert, java.util.function.Consumer<T> delete) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        upsert.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        upsert.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        delete.accept(obj);
      }
    };
  }

  private boolean retryAfter(boolean started, Throwable error) {
    onFailure(error);
    return !closed;
  }

  private void upsert(String apiVersion, String kind, GenericKubernetesResource r) {
    Map<String, Object> doc = new LinkedHashMap<>(r.getAdditionalProperties());
    doc.put("apiVersion", apiVersion);
    doc.put("kind", kind);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("name", r.getMetadata().getName());
    meta.put("namespace", r.getMetadata().getNamespace());
    meta.put("creationTimestamp", r.getMetadata().getCreationTimestamp());
    doc.put("metadata", meta);
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
      dirtyServices.add(service);
      schedule();
    }
  }

  private synchronized void servicesChanged(Set<ServiceName> services) {
    Set<ServiceName> next = new HashSet<>();
    for (ServiceName s : services) {
      if (s.namespace().equals(namespace)) {
        next.add(s);
        if (!watched.contains(s)) {
          dirtyServices.add(s.name());
        }
      }
    }
    watched = next;
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
    for (String name : dirtyServices) {
      ServiceName service = ServiceName.of(name, namespace);
      if (watched.contains(service)) {
        publishEndpoints(ctx, service);
      }
    }
    dirtyServices.clear();
  }

  private void publishEndpoints(SourceContext ctx, ServiceName service) {
    List<EndpointSlice> mine = new ArrayList<>();
    for (EndpointSlice s : Objects.requireNonNull(slices).getStore().list()) {
      if (service.name().equals(EndpointSlices.service(s))) {
        mine.add(s);
      }
    }
    if (mine.isEmpty()) {
      if (publishedEndpoints.remove(service) != null) {
        ctx.removeEndpoints(service);
      }
      return;
    }
    List<Endpoint> endpoints = EndpointSlices.endpoints(mine, portName);
    if (!endpoints.equals(publishedEndpoints.get(service))) {
      publishedEndpoints.put(service, endpoints);
      ctx.publishEndpoints(service, endpoints);
    }
  }

  private void checkWatches() {
    List<SharedIndexInformer<?>> all;
    synchronized (this) {
      all = List.copyOf(informers);
    }
    boolean watching = all.stream().allMatch(SharedIndexInformer::isWatching);
    synchronized (this) {
      if (watching && failing) {
        failing = false;
        Objects.requireNonNull(context).reportRecovered();
      } else if (!watching) {
        onFailure(new java.io.IOException(name() + ": lost the watch on the API server"));
      }
    }
  }

  private synchronized void onFailure(Throwable error) {
    if (!failing && !closed) {
      failing = true;
      LOG.log(System.Logger.Level.WARNING, name() + ": " + error, error);
      Objects.requireNonNull(context).reportFailure(error);
    }
  }

  private void stopInformers() {
    List<SharedIndexInformer<?>> all;
    synchronized (this) {
      all = List.copyOf(informers);
      informers.clear();
    }
    all.forEach(SharedIndexInformer::stop);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (executor != null) {
        executor.shutdownNow();
      }
    }
    stopInformers();
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
