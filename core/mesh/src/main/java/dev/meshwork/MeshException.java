package dev.meshwork;

import org.jspecify.annotations.Nullable;

/**
 * The root of the mesh's own failures. Adapters translate them into the transport's native form: an
 * {@code IOException} subclass for OkHttp, a {@code Status} with a description for gRPC. Every
 * message names the service concerned.
 */
public abstract class MeshException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  MeshException(String message) {
    super(message);
  }

  MeshException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
