package dev.meshwork;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * The mesh's control plane: merges what the sources publish, keeps per-endpoint runtime state
 * across updates, and publishes new snapshots. Every mutation runs on one {@link SerialExecutor},
 * so nothing here needs a lock; the request path only ever reads the published snapshot.
 *
 * <p>Endpoint updates rebuild only the changed service's endpoint set and relink routes; route
 * configuration is compiled only when a source publishes config.
 */
final class ControlPlane {

  private final Mesh mesh;
  private final SerialExecutor serial = new SerialExecutor();
  private final List<Slot> slots = new ArrayList<>();
  private final SnapshotLinker linker;
  final CompletableFuture<Void> ready = new CompletableFuture<>();

  private Map<ServiceName, ServiceConfig> merged = Map.of();
  private AccessPolicy accessPolicy;
  private final Map<ServiceName, List<Endpoint>> effective = new HashMap<>();
  private final Map<ServiceName, EndpointSet> endpointSets = new HashMap<>();
  private final Map<ServiceName, Map<String, EndpointState>> states = new HashMap<>();
  private Set<SnapshotLinker.Unavailable> unavailable = Set.of();
  private final List<Consumer<Set<ServiceName>>> serviceWatchers = new ArrayList<>();
  private final List<SnapshotWatch> snapshotWatchers = new ArrayList<>();
  private Set<ServiceName> services = Set.of();
  private long generation;

  ControlPlane(Mesh mesh) {
    this.mesh = mesh;
    this.linker = new SnapshotLinker(mesh);
    this.accessPolicy = AccessPolicy.of(List.of(), mesh.defaultAccess);
  }

  /** Starts every source; they publish through their own {@link SourceContext}. */
  void start(List<MeshSource> sources) {
    for (MeshSource source : sources) {
      slots.add(new Slot(source));
    }
    if (slots.isEmpty()) {
      ready.complete(null);
    }
    for (Slot slot : slots) {
      try {
        slot.source.start(slot);
      } catch (RuntimeException e) {
        mesh.listener.sourceFailed(slot.name, e);
      }
    }
  }

  void close() {
    for (Slot slot : slots) {
      try {
        slot.source.close();
      } catch (Exception e) {
        mesh.listener.sourceFailed(slot.name, e);
      }
    }
  }

  private void applyConfig(Slot slot, MeshConfig config) {
    Map<ServiceName, ServiceConfig> next = merge(slot, config);
    try {
      SnapshotLinker.validate(next);
    } catch (ConfigException e) {
      mesh.listener.configRejected(e);
      return;
    }
    slot.config = config;
    merged = next;
    List<AccessRule> rules = new ArrayList<>();
    for (Slot s : slots) {
      rules.addAll(s.config.accessRules());
    }
    accessPolicy = AccessPolicy.of(rules, mesh.defaultAccess);
    publish();
  }

  private Map<ServiceName, ServiceConfig> merge(Slot changed, MeshConfig replacement) {
    Map<ServiceName, ServiceConfig> next = new LinkedHashMap<>();
    for (Slot s : slots) {
      MeshConfig c = s == changed ? replacement : s.config;
      c.services().forEach(next::putIfAbsent);
    }
    return next;
  }

  private void applyEndpoints(ServiceName service) {
    List<Endpoint> list = null;
    for (Slot s : slots) {
      list = s.endpoints.get(service);
      if (list != null) {
        break;
      }
    }
    if (Objects.equals(list, effective.get(service))) {
      return;
    }
    if (list == null) {
      effective.remove(service);
      endpointSets.remove(service);
      closeGates(states.remove(service));
    } else {
      effective.put(service, list);
      endpointSets.put(service, buildSet(service, list));
    }
    publish();
  }

  /** Reuses the runtime state of endpoints that stay, so latency and breakers survive updates. */
  private EndpointSet buildSet(ServiceName service, List<Endpoint> list) {
    Map<String, EndpointState> previous = states.getOrDefault(service, Map.of());
    Map<String, EndpointState> next = new LinkedHashMap<>();
    List<EndpointState> ordered = new ArrayList<>(list.size());
    for (Endpoint e : list) {
      if (next.containsKey(e.authority())) {
        continue;
      }
      EndpointState s = previous.get(e.authority());
      if (s == null) {
        EndpointGateFactory gates = mesh.gates;
        s = new EndpointState(service, e, gates == null ? null : gates.create(service, e, mesh));
      } else if (!s.endpoint().equals(e)) {
        s.update(e);
      }
      next.put(e.authority(), s);
      ordered.add(s);
    }
    Map<String, EndpointState> gone = new HashMap<>(previous);
    gone.keySet().removeAll(next.keySet());
    closeGates(gone);
    states.put(service, next);
    return EndpointSet.of(ordered);
  }

  private static void closeGates(Map<String, EndpointState> gone) {
    if (gone == null) {
      return;
    }
    for (EndpointState s : gone.values()) {
      if (s.gate != null) {
        s.gate.close();
      }
    }
  }

  private void publish() {
    List<SnapshotLinker.Unavailable> missing = new ArrayList<>();
    MeshSnapshot snapshot =
        linker.link(++generation, merged, endpointSets, accessPolicy, mesh::retryBudget, missing);
    mesh.publish(snapshot);
    Set<SnapshotLinker.Unavailable> now = new HashSet<>(missing);
    for (SnapshotLinker.Unavailable u : missing) {
      if (!unavailable.contains(u)) {
        mesh.listener.backendUnavailable(u.service(), u.route(), u.backend());
      }
    }
    unavailable = now;
    mesh.listener.snapshotApplied(snapshot);
    for (SnapshotWatch w : List.copyOf(snapshotWatchers)) {
      w.deliver(snapshot);
    }
    if (!snapshot.services().equals(services)) {
      services = Set.copyOf(snapshot.services());
      for (Consumer<Set<ServiceName>> w : List.copyOf(serviceWatchers)) {
        notifyWatcher(w);
      }
    }
  }

  /**
   * Registers on the control thread, so the watcher sees the current snapshot and every later one.
   */
  Mesh.Subscription watchSnapshots(Consumer<MeshSnapshot> watcher) {
    SnapshotWatch watch = new SnapshotWatch(watcher);
    serial.execute(
        () -> {
          snapshotWatchers.add(watch);
          watch.deliver(mesh.snapshot());
        });
    return () -> {
      watch.closed = true;
      serial.execute(() -> snapshotWatchers.remove(watch));
    };
  }

  private final class SnapshotWatch {
    final Consumer<MeshSnapshot> watcher;
    volatile boolean closed;

    SnapshotWatch(Consumer<MeshSnapshot> watcher) {
      this.watcher = watcher;
    }

    void deliver(MeshSnapshot snapshot) {
      if (closed) {
        return;
      }
      try {
        watcher.accept(snapshot);
      } catch (RuntimeException e) {
        mesh.listener.sourceFailed("snapshot watcher " + watcher, e);
      }
    }
  }

  private void notifyWatcher(Consumer<Set<ServiceName>> watcher) {
    try {
      watcher.accept(services);
    } catch (RuntimeException e) {
      mesh.listener.sourceFailed("services watcher " + watcher, e);
    }
  }

  private void markReady(Slot slot) {
    slot.ready = true;
    for (Slot s : slots) {
      if (!s.ready) {
        return;
      }
    }
    ready.complete(null);
  }

  /** One source's published state and its window onto the control plane. */
  private final class Slot implements SourceContext {
    final MeshSource source;
    final String name;
    MeshConfig config = MeshConfig.empty();
    final Map<ServiceName, List<Endpoint>> endpoints = new HashMap<>();
    boolean ready;
    boolean failing;

    Slot(MeshSource source) {
      this.source = source;
      this.name = source.name();
    }

    @Override
    public void publishConfig(MeshConfig config) {
      Objects.requireNonNull(config, "config");
      serial.execute(() -> applyConfig(this, config));
    }

    @Override
    public void publishEndpoints(ServiceName service, List<Endpoint> list) {
      List<Endpoint> copy = List.copyOf(list);
      serial.execute(
          () -> {
            endpoints.put(service, copy);
            applyEndpoints(service);
          });
    }

    @Override
    public void removeEndpoints(ServiceName service) {
      serial.execute(
          () -> {
            if (endpoints.remove(service) != null) {
              applyEndpoints(service);
            }
          });
    }

    @Override
    public void rejectConfig(ConfigException error) {
      serial.execute(() -> mesh.listener.configRejected(error));
    }

    @Override
    public void reportFailure(Throwable error) {
      serial.execute(
          () -> {
            failing = true;
            mesh.listener.sourceFailed(name, error);
          });
    }

    @Override
    public void reportRecovered() {
      serial.execute(
          () -> {
            if (failing) {
              failing = false;
              mesh.listener.sourceRecovered(name);
            }
          });
    }

    @Override
    public void ready() {
      serial.execute(() -> markReady(this));
    }

    @Override
    public void onServicesChanged(Consumer<Set<ServiceName>> listener) {
      serial.execute(
          () -> {
            serviceWatchers.add(listener);
            notifyWatcher(listener);
          });
    }

    @Override
    public Ticker ticker() {
      return mesh.ticker;
    }

    @Override
    public RandomSource random() {
      return mesh.random;
    }

    @Override
    public ScheduledExecutorService scheduler() {
      return mesh.scheduler();
    }

    @Override
    public String defaultNamespace() {
      return mesh.defaultNamespace;
    }

    @Override
    public String toString() {
      return "SourceContext{" + name + "}";
    }
  }
}
