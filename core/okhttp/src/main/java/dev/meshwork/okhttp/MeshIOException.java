package dev.meshwork.okhttp;

import dev.meshwork.RetryDecision;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * The mesh stopped a call: the backend had no healthy endpoints, or a retryable failure could not
 * be retried (budget exhausted, attempts used up, or unsafe to repeat). The message names the
 * service and the last failure, for example {@code retry budget for ratings.default exhausted (last
 * failure: java.net.ConnectException: Failed to connect)}; the cause is the last attempt's error,
 * if it had one.
 */
public final class MeshIOException extends IOException {

  private static final long serialVersionUID = 1L;

  private final @Nullable RetryDecision decision;

  MeshIOException(String message, @Nullable RetryDecision decision, @Nullable Throwable cause) {
    super(message, cause);
    this.decision = decision;
  }

  /** Why retries stopped, or null when no attempt could be made (no healthy endpoints). */
  public @Nullable RetryDecision decision() {
    return decision;
  }
}
