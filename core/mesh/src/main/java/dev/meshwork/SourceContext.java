package dev.meshwork;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * What a {@link MeshSource} may tell the mesh, and the shared services it may use. Every method is
 * thread-safe and returns quickly: the work happens on the mesh's serial control thread.
 */
public interface SourceContext {

  /**
   * Replaces everything this source said about routing. If the result is invalid (for example a
   * route names a subset that no source defines), the mesh reports a {@link ConfigException} and
   * keeps this source's previous configuration.
   */
  void publishConfig(MeshConfig config);

  /**
   * Replaces this source's endpoints for {@code service}. An empty list means the service has no
   * instances; a source that merely failed to fetch must publish nothing, so the last known
   * endpoints stay.
   */
  void publishEndpoints(ServiceName service, List<Endpoint> endpoints);

  /** This source no longer knows {@code service} at all (for example, it was deleted). */
  void removeEndpoints(ServiceName service);

  /** Reports input this source rejected; nothing changes in the mesh. */
  void rejectConfig(ConfigException error);

  /** Reports that the origin cannot be reached; everything the source published stays. */
  void reportFailure(Throwable error);

  /** Reports that the origin answers again after {@link #reportFailure}. */
  void reportRecovered();

  /** The first complete view has been published; {@link Mesh#awaitReady} waits for this. */
  void ready();

  /**
   * Calls {@code listener} on the control thread with the services the mesh currently routes, now
   * and whenever the set changes; sources that watch per service (Consul health, Kubernetes
   * EndpointSlices) use it to know what to watch.
   */
  void onServicesChanged(Consumer<Set<ServiceName>> listener);

  Ticker ticker();

  RandomSource random();

  /** A scheduler for timers and polling; do not block in it. */
  ScheduledExecutorService scheduler();

  /** The namespace of services named without one. */
  String defaultNamespace();
}
