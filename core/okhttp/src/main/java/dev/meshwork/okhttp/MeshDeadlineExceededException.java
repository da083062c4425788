package dev.meshwork.okhttp;

import java.io.InterruptedIOException;

/**
 * A routed call ran out of time: its deadline (the caller's {@link dev.meshwork.MeshContext}
 * deadline or the route's timeout, whichever is earlier) passed. An {@link InterruptedIOException}
 * like OkHttp's own timeouts, so existing timeout handling catches it. The message says which
 * deadline and after how many attempts: {@code deadline of 250 ms for reviews.default exceeded
 * after 2 attempts (last failure: 503)}.
 */
public final class MeshDeadlineExceededException extends InterruptedIOException {

  private static final long serialVersionUID = 1L;

  MeshDeadlineExceededException(String message, Throwable cause) {
    super(message);
    initCause(cause);
  }
}
