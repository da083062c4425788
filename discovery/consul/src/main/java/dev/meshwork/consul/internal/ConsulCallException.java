package dev.meshwork.consul.internal;

import java.io.IOException;

/**
 * Consul could not be asked, or answered with an error status: {@code consul 127.0.0.1:8500: GET
 * /v1/health/service/web: 500 (rpc error: No cluster leader)}. Reported to the mesh's listener as a
 * source failure; everything last published stays in force.
 */
public final class ConsulCallException extends IOException {

  private static final long serialVersionUID = 1L;

  private final int status;

  public ConsulCallException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public ConsulCallException(String message, int status) {
    super(message);
    this.status = status;
  }

  /** The HTTP status Consul answered with, or 0 when it could not be reached. */
  public int status() {
    return status;
  }
}
