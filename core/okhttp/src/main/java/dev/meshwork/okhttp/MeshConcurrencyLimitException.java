package dev.meshwork.okhttp;

import dev.meshwork.ConcurrencyLimitExceededException;
import dev.meshwork.ServiceName;
import java.io.IOException;

/**
 * The mesh rejected a call before sending anything because its destination already has as many
 * calls in flight as its concurrency limit allows ({@link
 * dev.meshwork.Mesh.Builder#concurrencyLimits}): {@code concurrency limit of 32 calls to
 * reviews.default reached}. Nothing reached the server; the caller may shed the request or try
 * again later. The cause is the mesh's {@link ConcurrencyLimitExceededException}.
 */
public final class MeshConcurrencyLimitException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient ServiceName service;
  private final int limit;

  MeshConcurrencyLimitException(ConcurrencyLimitExceededException cause) {
    super(cause.getMessage(), cause);
    this.service = cause.service();
    this.limit = cause.limit();
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
