package dev.meshwork;

/**
 * A call's backend had no endpoint to send to: none are known yet, or every one refuses traffic and
 * the mesh is configured not to fail open. Raised before anything is sent, so the call fails fast
 * instead of waiting for a timeout.
 */
public final class NoHealthyEndpointsException extends MeshException {

  private static final long serialVersionUID = 1L;

  private final String backend;
  private final int known;
  private final int rejecting;

  NoHealthyEndpointsException(String backend, int known, int rejecting) {
    super(
        "no healthy endpoints for "
            + backend
            + " ("
            + known
            + " known"
            + (known > 0 ? ", " + rejecting + " ejected" : "")
            + ")");
    this.backend = backend;
    this.known = known;
    this.rejecting = rejecting;
  }

  /** The backend, as {@code service.namespace} or {@code service.namespace/subset}. */
  public String backend() {
    return backend;
  }

  /** Endpoints known for the backend. */
  public int known() {
    return known;
  }

  /** Of those, how many refused traffic through their gate. */
  public int rejecting() {
    return rejecting;
  }
}
