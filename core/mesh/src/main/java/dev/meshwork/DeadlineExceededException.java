package dev.meshwork;

/**
 * A call's deadline passed before it could start another attempt. Adapters also use its message
 * when an attempt in flight runs out of time.
 */
public final class DeadlineExceededException extends MeshException {

  private static final long serialVersionUID = 1L;

  DeadlineExceededException(String message) {
    super(message);
  }
}
