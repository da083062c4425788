package dev.meshwork;

import java.util.ArrayList;
import java.util.List;

/**
 * Observes the mesh: calls and their attempts on the data plane, snapshots and rejected config on
 * the control plane. Metrics, tracing and tap are listeners, so they all see the same
 * classification of every attempt.
 *
 * <p>Every method has a no-op default; override what you need. Data-plane methods run on the
 * request path: they must be fast, non-blocking, and must not throw (an exception is caught, logged
 * once and otherwise ignored). Each {@code callStarted} has exactly one {@code callEnded}; each
 * {@code attemptStarted} exactly one {@code attemptEnded}.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .listener(new MeshListener() {
 *       @Override public void configRejected(ConfigException e) { log.warn(e.getMessage()); }
 *     })
 *     .build();
 * }</pre>
 */
public interface MeshListener {

  /** The listener that does nothing. */
  MeshListener NONE = new MeshListener() {};

  /** A routed call began; its route and backend are chosen. */
  default void callStarted(MeshCall call) {}

  /** An attempt was sent to {@link Attempt#endpoint()}. */
  default void attemptStarted(MeshCall call, Attempt attempt) {}

  /** An attempt ended and was classified. */
  default void attemptEnded(MeshCall call, Attempt attempt) {}

  /** The call ended; {@link MeshCall#decision()} and {@link MeshCall#failure()} say how. */
  default void callEnded(MeshCall call) {}

  /**
   * Every endpoint of {@code backend} refused traffic and the call was sent to the least bad one
   * anyway (failing open).
   */
  default void failedOpen(MeshCall call, String backend) {}

  /**
   * A server received a request (reported by the inbound adapters: the servlet filter and the gRPC
   * server interceptor). Runs on the request path.
   */
  default void inboundStarted(InboundCall call) {}

  /**
   * A request a server received has ended; {@code call} carries the status, its classification and
   * the latency. Each {@code inboundStarted} has exactly one {@code inboundEnded}.
   */
  default void inboundEnded(InboundCall call) {}

  /**
   * An endpoint's gate (circuit breaker, outlier detection) changed state; {@code reason} says why,
   * for example {@code 7 consecutive failures}.
   */
  default void gateStateChanged(
      ServiceName service, Endpoint endpoint, GateState from, GateState to, String reason) {}

  /** An inbound request was refused by the access policy (403 / PERMISSION_DENIED). */
  default void accessDenied(InboundCall call, AccessDecision decision) {}

  /** A workload identity came into use: the first one, a rotation, or a new trust bundle. */
  default void identityUpdated(String source, X509Identity identity) {}

  /**
   * The identity in use expires in {@code remaining} and no newer one has arrived; reported from 24
   * h before expiry, then periodically.
   */
  default void identityExpiring(
      String source, X509Identity identity, java.time.Duration remaining) {}

  /** A new snapshot is in force. Runs on the control thread. */
  default void snapshotApplied(MeshSnapshot snapshot) {}

  /** A source offered invalid configuration; the previous configuration stays. */
  default void configRejected(ConfigException error) {}

  /** A source could not reach its origin; its last published state stays in force. */
  default void sourceFailed(String source, Throwable error) {}

  /** A source that had failed is answering again. */
  default void sourceRecovered(String source) {}

  /**
   * A route's backend has no endpoints, so its share goes to the route's other backends until it
   * has some again. Reported when it happens, not on every snapshot.
   */
  default void backendUnavailable(ServiceName service, Route route, Backend backend) {}

  /** This listener followed by {@code other}. */
  default MeshListener and(MeshListener other) {
    if (this == NONE) {
      return other;
    }
    if (other == NONE) {
      return this;
    }
    List<MeshListener> all = new ArrayList<>();
    CompositeListener.flatten(this, all);
    CompositeListener.flatten(other, all);
    return new CompositeListener(all.toArray(new MeshListener[0]));
  }
}
