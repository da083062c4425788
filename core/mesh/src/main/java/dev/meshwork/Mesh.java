package dev.meshwork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * An in-process service mesh. Sources feed it configuration and endpoints; transport adapters route
 * each call through it: pick a route and a weighted backend, balance over the backend's endpoints,
 * bound the call by its deadline, and retry within the destination's retry budget.
 *
 * <p>Build one per application and share it: every client of the same mesh shares its per-service
 * retry budgets and endpoint statistics. Thread-safe. Close it to stop its sources.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(StaticSource.builder()
 *         .endpoints("reviews", Endpoint.of("127.0.0.1", 8081), Endpoint.of("127.0.0.1", 8082))
 *         .build())
 *     .build();
 * OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
 * client.newCall(new Request.Builder().url("http://reviews/books/1").build()).execute();
 * }</pre>
 */
public final class Mesh implements AutoCloseable {

  final Ticker ticker;
  final RandomSource random;
  final MeshListener listener;
  final ResponseClassifier classifier;
  final RetryPolicy retryPolicy;
  final Balancer balancer;
  final @Nullable EndpointGateFactory gates;
  final boolean failOpen;
  final @Nullable HedgingPolicy hedging;
  final @Nullable ConcurrencyLimitFactory limits;
  final boolean faultHeader;
  final boolean deferRetriesToUpstream;
  final String defaultNamespace;
  final AccessRule.Action defaultAccess;
  private final Propagator[] propagators;
  private final @Nullable TransportSecurity security;
  private final Duration budgetTtl;
  private final int budgetMinPerSecond;
  private final double budgetRatio;
  private final @Nullable ScheduledExecutorService givenScheduler;
  private volatile @Nullable ScheduledExecutorService ownScheduler;
  private final ConcurrentHashMap<ServiceName, RetryBudget> budgets = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<ServiceName, ConcurrencyLimit> concurrencyLimits =
      new ConcurrentHashMap<>();
  private final ControlPlane control;
  private volatile MeshSnapshot snapshot = MeshSnapshot.EMPTY;

  private Mesh(Builder b) {
    this.ticker = b.ticker;
    this.random = b.random;
    this.listener = CompositeListener.guarding(b.listener);
    this.classifier = b.classifier;
    this.retryPolicy = b.retryPolicy;
    this.balancer = b.balancer;
    this.gates = b.gates;
    this.failOpen = b.failOpen;
    this.hedging = b.hedging;
    this.limits = b.limits;
    this.faultHeader = b.faultHeader;
    this.deferRetriesToUpstream = b.deferRetriesToUpstream;
    this.defaultNamespace = b.defaultNamespace;
    this.defaultAccess = b.defaultAccess;
    this.propagators = b.propagators.toArray(new Propagator[0]);
    this.security = b.security;
    this.budgetTtl = b.budgetTtl;
    this.budgetMinPerSecond = b.budgetMinPerSecond;
    this.budgetRatio = b.budgetRatio;
    this.givenScheduler = b.scheduler;
    this.control = new ControlPlane(this);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a routed call to {@code host} (as in {@code http://reviews/…} or {@code
   * mesh:///reviews}), or returns null when the mesh knows no such service, in which case the
   * adapter passes the request through untouched.
   */
  public @Nullable MeshCall newCall(String host, MeshRequest request) {
    MeshSnapshot s = snapshot;
    ServiceRouting routing = s.routingForHost(host);
    return routing == null ? null : new MeshCall(this, s, routing, request);
  }

  /** Whether {@code host} names a service the mesh routes. */
  public boolean knows(String host) {
    return snapshot.routingForHost(host) != null;
  }

  /** The configuration in force now. */
  public MeshSnapshot snapshot() {
    return snapshot;
  }

  /** The retry budget of calls to {@code service}, shared by every client of this mesh. */
  public RetryBudget retryBudget(ServiceName service) {
    return budgets.computeIfAbsent(
        service, s -> RetryBudget.create(budgetTtl, budgetMinPerSecond, budgetRatio, ticker));
  }

  /**
   * The concurrency limit of calls to {@code service}, created on first use by the factory given to
   * {@link Builder#concurrencyLimits}; null when the mesh has none.
   */
  public @Nullable ConcurrencyLimit concurrencyLimit(ServiceName service) {
    ConcurrencyLimitFactory f = limits;
    if (f == null) {
      return null;
    }
    ConcurrencyLimit l = concurrencyLimits.get(service);
    return l != null ? l : concurrencyLimits.computeIfAbsent(service, s -> f.create(s, this));
  }

  /** Completes when every source has published its first complete view. */
  public CompletableFuture<Void> whenReady() {
    return control.ready.copy();
  }

  /**
   * Waits until every source has published its first complete view.
   *
   * @return false if that did not happen within {@code timeout}
   */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    try {
      control.ready.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  public Ticker ticker() {
    return ticker;
  }

  public RandomSource random() {
    return random;
  }

  /** The namespace of services addressed without one ({@code http://reviews/}). */
  public String defaultNamespace() {
    return defaultNamespace;
  }

  /**
   * Adds the registered propagators' headers to an outbound attempt. Adapters call this once per
   * attempt; {@code headers} sets one header.
   */
  public void inject(MeshCall call, Attempt attempt, BiConsumer<String, String> headers) {
    for (Propagator p : propagators) {
      try {
        p.inject(call, attempt, headers);
      } catch (RuntimeException e) {
        listener.sourceFailed("propagator " + p, e);
      }
    }
  }

  /**
   * The context an inbound request is handled with: {@code context} plus what the registered
   * propagators read from its headers. Inbound adapters call this once per request.
   */
  public MeshContext extract(MeshContext context, Function<String, @Nullable String> headers) {
    MeshContext c = context;
    for (Propagator p : propagators) {
      try {
        c = p.extract(c, headers);
      } catch (RuntimeException e) {
        listener.sourceFailed("propagator " + p, e);
      }
    }
    return c;
  }

  /** Whether any propagator is registered (adapters skip header work otherwise). */
  public boolean hasPropagators() {
    return propagators.length > 0;
  }

  /**
   * How connections are secured (mTLS with workload identity), or null when the mesh was built
   * without {@link Builder#transportSecurity}: then every connection is plaintext.
   */
  public @Nullable TransportSecurity transportSecurity() {
    return security;
  }

  /**
   * Decides whether an inbound request may be served, by the snapshot's {@link AccessPolicy} for
   * this server's identity ({@link TransportSecurity#localIdentity()}) and the caller's ({@link
   * InboundCall#peer()}), and reports a denial to {@link MeshListener#accessDenied}. Inbound
   * adapters call it once per request, before the handler runs, and answer a denial with 403 or
   * {@code PERMISSION_DENIED} and the decision's reason. A server whose own identity is unknown
   * falls under the policy's default action, as no rule can name it.
   */
  public AccessDecision authorize(InboundCall call, MeshRequest request) {
    return InboundAccess.decide(this, call, request);
  }

  /** The listener every event goes to (all registered listeners, each shielded). */
  public MeshListener listener() {
    return listener;
  }

  /**
   * Calls {@code watcher} with the snapshot in force now and with every snapshot published after
   * it, in order, on the mesh's control thread, until the returned subscription is closed. For
   * adapters that mirror the mesh into another system (the gRPC name resolver turns each snapshot
   * into a channel's address list). The watcher must be quick and must not block; an exception it
   * throws is reported to the listener as a source failure and otherwise ignored.
   *
   * <pre>{@code
   * try (Mesh.Subscription s = mesh.onSnapshot(snap -> System.out.println(snap.generation()))) {
   *   // ...
   * }
   * }</pre>
   */
  public Subscription onSnapshot(Consumer<MeshSnapshot> watcher) {
    return control.watchSnapshots(Objects.requireNonNull(watcher, "watcher"));
  }

  /**
   * The scheduler for the mesh's timers: the one given to {@link Builder#scheduler}, or a daemon
   * thread the mesh owns and stops on {@link #close()}. Adapters use it for retry backoff; tasks
   * must not block.
   */
  public ScheduledExecutorService scheduler() {
    ScheduledExecutorService s = givenScheduler != null ? givenScheduler : ownScheduler;
    if (s != null) {
      return s; // the request path (retry backoff) takes no lock once the scheduler exists
    }
    synchronized (this) {
      if (ownScheduler == null) {
        ownScheduler =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "meshwork-scheduler");
                  t.setDaemon(true);
                  return t;
                });
      }
      return ownScheduler;
    }
  }

  void publish(MeshSnapshot next) {
    snapshot = next;
  }

  /** Stops the sources and the mesh's own scheduler. Calls already routed complete normally. */
  @Override
  public void close() {
    control.close();
    if (security != null) {
      try {
        security.close();
      } catch (RuntimeException e) {
        listener.sourceFailed("transport security " + security, e);
      }
    }
    synchronized (this) {
      if (ownScheduler != null) {
        ownScheduler.shutdownNow();
      }
    }
  }

  @Override
  public String toString() {
    return "Mesh{" + snapshot + "}";
  }

  /** Stops a watch started with {@link #onSnapshot}; closing twice is harmless. */
  @FunctionalInterface
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /** Configures a {@link Mesh}. Not thread-safe. */
  public static final class Builder {
    private final List<MeshSource> sources = new ArrayList<>();
    private Ticker ticker = Ticker.system();
    private RandomSource random = RandomSource.threadLocal();
    private MeshListener listener = MeshListener.NONE;
    private ResponseClassifier classifier = ResponseClassifier.defaults();
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private Balancer balancer = Balancer.p2cPeakEwma();
    private @Nullable EndpointGateFactory gates;
    private boolean failOpen = true;
    private @Nullable HedgingPolicy hedging;
    private @Nullable ConcurrencyLimitFactory limits;
    private boolean faultHeader;
    private boolean deferRetriesToUpstream = true;
    private String defaultNamespace = ServiceName.DEFAULT_NAMESPACE;
    private AccessRule.Action defaultAccess = AccessRule.Action.ALLOW;
    private Duration budgetTtl = Duration.ofSeconds(10);
    private int budgetMinPerSecond = 10;
    private double budgetRatio = 0.2;
    private @Nullable ScheduledExecutorService scheduler;
    private final List<Propagator> propagators = new ArrayList<>();
    private @Nullable TransportSecurity security;

    private Builder() {}

    /** Adds a source; sources added first win when two configure the same service. */
    public Builder source(MeshSource source) {
      sources.add(Objects.requireNonNull(source, "source"));
      return this;
    }

    /** Adds a listener; listeners are called in the order added. */
    public Builder listener(MeshListener listener) {
      this.listener = this.listener.and(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    public Builder classifier(ResponseClassifier classifier) {
      this.classifier = Objects.requireNonNull(classifier, "classifier");
      return this;
    }

    /** The retry policy of routes and services that set none. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /**
     * Per-destination retry budgets: retries may add {@code ratio} of the requests of the last
     * {@code ttl}, plus {@code minRetriesPerSecond}. Defaults: 0.2, 10 per second, 10 s.
     */
    public Builder retryBudget(Duration ttl, int minRetriesPerSecond, double ratio) {
      RetryBudget.create(ttl, minRetriesPerSecond, ratio, ticker); // validates
      this.budgetTtl = ttl;
      this.budgetMinPerSecond = minRetriesPerSecond;
      this.budgetRatio = ratio;
      return this;
    }

    /** The balancer of services that set none; default {@link Balancer#p2cPeakEwma()}. */
    public Builder balancer(Balancer balancer) {
      this.balancer = Objects.requireNonNull(balancer, "balancer");
      return this;
    }

    /** Gives every endpoint a gate (circuit breaker, outlier detection, slow start). */
    public Builder gates(EndpointGateFactory gates) {
      this.gates = Objects.requireNonNull(gates, "gates");
      return this;
    }

    /**
     * When every endpoint of a backend refuses traffic: send to the least bad one anyway (true, the
     * default, as Finagle does) or fail the call fast (false).
     */
    public Builder failOpen(boolean failOpen) {
      this.failOpen = failOpen;
      return this;
    }

    /**
     * Sends hedged backups of idempotent calls as {@code hedging} decides (off by default). Backups
     * are paid from the destination's retry budget. Adapters run the two attempts concurrently and
     * keep the first answer; see {@link MeshCall#startBackup()}.
     */
    public Builder hedging(HedgingPolicy hedging) {
      this.hedging = Objects.requireNonNull(hedging, "hedging");
      return this;
    }

    /**
     * Caps the calls in flight per destination with the limits {@code limits} creates; a call over
     * the limit fails at once with {@link ConcurrencyLimitExceededException} (off by default).
     */
    public Builder concurrencyLimits(ConcurrencyLimitFactory limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Whether a request may ask for injected faults itself with the {@value Fault#HEADER} header
     * ({@code abort=503;percentage=10}); off by default, as anyone able to set a header could
     * otherwise make calls fail. Meant for test and staging environments.
     */
    public Builder faultHeader(boolean enabled) {
      this.faultHeader = enabled;
      return this;
    }

    /**
     * Whether calls made while serving a request that is itself an upstream mesh's retry or backup
     * ({@link MeshContext#UPSTREAM_ATTEMPT} of 2 or more) make a single attempt, with no retries
     * and no backups of their own (default true). Retrying at every hop multiplies load on a
     * failing service (three hops of three attempts send 27 requests); the upstream is already
     * retrying. The attempt number travels in the {@code meshwork-attempt} header when {@code
     * meshwork-resilience}'s {@code AttemptCounter} propagator is registered on both sides.
     */
    public Builder deferRetriesToUpstream(boolean defer) {
      this.deferRetriesToUpstream = defer;
      return this;
    }

    /** The namespace of services named without one; default {@code default}. */
    public Builder defaultNamespace(String namespace) {
      this.defaultNamespace = ServiceName.of("x", namespace).namespace();
      return this;
    }

    /**
     * What inbound enforcement does for a server that no access rule names: allow (the default,
     * like Linkerd's {@code all-unauthenticated}) or deny.
     */
    public Builder defaultAccess(AccessRule.Action action) {
      this.defaultAccess = Objects.requireNonNull(action, "action");
      return this;
    }

    /** Adds a propagator of context headers; propagators run in the order added. */
    public Builder propagator(Propagator propagator) {
      propagators.add(Objects.requireNonNull(propagator, "propagator"));
      return this;
    }

    /**
     * Secures the mesh's connections: mTLS with workload identity for clients (per destination
     * {@linkplain TransportSecurity.Mode mode}) and the key material servers use. Started when the
     * mesh is built, closed with it. Without one, connections are plaintext.
     */
    public Builder transportSecurity(TransportSecurity security) {
      this.security = Objects.requireNonNull(security, "security");
      return this;
    }

    /** The time source; tests pass a fake one. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** The randomness source; tests pass a seeded one. */
    public Builder random(RandomSource random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /** The scheduler sources use for timers; by default the mesh owns one daemon thread. */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /** Builds the mesh and starts its sources. */
    public Mesh build() {
      Mesh mesh = new Mesh(this);
      if (security != null) {
        security.start(mesh);
      }
      mesh.control.start(List.copyOf(sources));
      return mesh;
    }
  }
}
