package dev.meshwork.smi;

import dev.meshwork.MeshSource;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import dev.meshwork.SpiffeId;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * Routes, splits and access rules from the Kubernetes API, and endpoints from EndpointSlices, in
 * one namespace. Watches (with fabric8 informers) SMI TrafficSplit, HTTPRouteGroup, TCPRoute,
 * UDPRoute, TrafficTarget and IdentityBinding in whichever version the cluster serves (or the one
 * pinned with {@link Builder#version}), Gateway API HTTPRoute and GRPCRoute attached to Services,
 * and the EndpointSlices of every Service the mesh routes to: ready pod IPs (serving ones when none
 * is ready) at the Service's port, labelled with {@code zone}, {@code node} and {@code pod}, each
 * carrying its pod's workload identity {@code spiffe://<trust-domain>/ns/<ns>/sa/<service-account>}
 * (see {@link Builder#endpointIdentities}). A kind the cluster does not serve is looked for again
 * every {@linkplain Builder#discoveryInterval discovery interval}, so installing its CRD later
 * needs no restart.
 *
 * <p>An invalid resource is reported to {@link dev.meshwork.MeshListener#configRejected} and its
 * previous version stays in force. When the API server cannot be reached at startup, the failure is
 * reported to {@link dev.meshwork.MeshListener#sourceFailed} and the connection is retried with
 * jittered backoff. When it goes away later, the last config and endpoints stay, the outage is
 * reported, and the informers reconnect and resynchronise on their own. Thread-safe.
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

  private final KubernetesClient client;
  private final boolean ownsClient;
  private final String namespace;
  private final Map<String, String> pinned;
  private final ApiServerConnection.Intervals intervals;
  private final boolean watchPods;
  private final Informers informers = new Informers();
  private final ServiceEndpoints endpoints;
  private @Nullable ScheduledExecutorService executor;
  private @Nullable NamespaceMirror mirror;
  private @Nullable ApiServerConnection connection;

  private KubernetesSource(Builder b) {
    this.client = b.client;
    this.ownsClient = b.ownsClient;
    this.namespace =
        b.namespace != null
            ? b.namespace
            : Objects.requireNonNullElse(client.getNamespace(), ServiceName.DEFAULT_NAMESPACE);
    this.pinned = Map.copyOf(b.pinned);
    this.watchPods = b.endpointIdentities;
    this.endpoints =
        new ServiceEndpoints(namespace, b.portName, b.endpointIdentities ? b.trustDomain : null);
    this.intervals = new ApiServerConnection.Intervals(b.checkInterval, b.discoveryInterval);
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
    if (executor != null) {
      throw new IllegalStateException(name() + " was already started");
    }
    ScheduledExecutorService e =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "meshwork-kubernetes " + namespace);
              t.setDaemon(true);
              return t;
            });
    executor = e;
    NamespaceMirror m = new NamespaceMirror(namespace, context, endpoints, informers, e);
    mirror = m;
    connection =
        new ApiServerConnection(
            client,
            namespace,
            pinned,
            watchPods,
            informers,
            m,
            e,
            intervals,
            context.random(),
            new ApiServerConnection.Listener() {
              @Override
              public void synced() {
                m.synced();
              }

              @Override
              public void failed(Throwable error) {
                context.reportFailure(error);
              }

              @Override
              public void recovered() {
                context.reportRecovered();
              }
            });
    context.onServicesChanged(m::servicesChanged);
    connection.start();
  }

  /** The kinds watched now (those the cluster served when last looked), for inspection. */
  public Set<String> watchedKinds() {
    return informers.kinds();
  }

  @Override
  public void close() {
    NamespaceMirror m;
    ApiServerConnection c;
    synchronized (this) {
      m = mirror;
      c = connection;
      if (executor != null) {
        executor.shutdownNow();
      }
    }
    if (m != null) {
      m.close();
    }
    if (c != null) {
      c.close();
    }
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
    private Duration discoveryInterval = Duration.ofSeconds(30);
    private boolean endpointIdentities = true;
    private String trustDomain = "cluster.local";

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

    /**
     * How often the informers' watches are checked, to report outages (two checks in a row that
     * find a watch down) and recoveries; default 1 s.
     */
    public Builder healthCheckInterval(Duration interval) {
      this.checkInterval = SmiFileSource.Builder.positive(interval, "healthCheckInterval");
      return this;
    }

    /**
     * How often kinds the cluster did not serve are looked for again, so that a CRD installed after
     * startup is watched without a restart; default 30 s.
     */
    public Builder discoveryInterval(Duration interval) {
      this.discoveryInterval = SmiFileSource.Builder.positive(interval, "discoveryInterval");
      return this;
    }

    /**
     * Whether endpoints carry the identity of the pod behind them, {@code
     * spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}, so that mTLS can check each
     * peer; default true. The source then also watches the namespace's pods (keeping only their
     * service accounts), which needs RBAC permission to list and watch pods; without it, endpoints
     * carry no identity and a warning is logged once.
     */
    public Builder endpointIdentities(boolean endpointIdentities) {
      this.endpointIdentities = endpointIdentities;
      return this;
    }

    /** The SPIFFE trust domain of endpoint identities; default {@code cluster.local}. */
    public Builder trustDomain(String trustDomain) {
      SpiffeId.kubernetes(Objects.requireNonNull(trustDomain, "trustDomain"), "ns", "sa");
      this.trustDomain = trustDomain;
      return this;
    }

    public KubernetesSource build() {
      return new KubernetesSource(this);
    }
  }
}
