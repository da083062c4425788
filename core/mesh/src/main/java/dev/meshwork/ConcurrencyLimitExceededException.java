package dev.meshwork;

/**
 * A call was rejected before anything was sent because its destination already has as many calls in
 * flight as its {@link ConcurrencyLimit} allows: {@code concurrency limit of 32 calls to
 * reviews.default reached}. The caller can shed the request or try later; the mesh does not queue
 * it.
 */
public final class ConcurrencyLimitExceededException extends MeshException {

  private static final long serialVersionUID = 1L;

  private final transient ServiceName service;
  private final int limit;

  ConcurrencyLimitExceededException(ServiceName service, int limit) {
    super("concurrency limit of " + limit + " calls to " + service + " reached");
    this.service = service;
    this.limit = limit;
  }

  /** The destination whose limit was reached. */
  public ServiceName service() {
    return service;
  }

  /** The limit at the time of the rejection. */
  public int limit() {
    return limit;
  }
}
