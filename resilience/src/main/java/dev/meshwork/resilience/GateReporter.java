package dev.meshwork.resilience;

import dev.meshwork.Endpoint;
import dev.meshwork.GateState;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;

/**
 * Reports one endpoint's gate transitions to the mesh's listener, naming the mechanism ({@code
 * consecutive failures: 7 consecutive failures}), and tells the endpoint's composite gate when
 * traffic is admitted again, so slow start can ramp the endpoint back up.
 */
final class GateReporter {

  private final ServiceName service;
  private final Endpoint endpoint;
  private final Mesh mesh;
  private volatile Runnable onReadmitted = () -> {};

  GateReporter(ServiceName service, Endpoint endpoint, Mesh mesh) {
    this.service = service;
    this.endpoint = endpoint;
    this.mesh = mesh;
  }

  void onReadmitted(Runnable action) {
    this.onReadmitted = action;
  }

  void changed(String mechanism, GateState from, GateState to, String reason) {
    mesh.listener().gateStateChanged(service, endpoint, from, to, mechanism + ": " + reason);
    if (to == GateState.ADMITTING) {
      onReadmitted.run();
    }
  }

  ServiceName service() {
    return service;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  Mesh mesh() {
    return mesh;
  }
}
