package dev.meshwork.okhttp;

import dev.meshwork.Attempt;
import dev.meshwork.Mesh;
import java.io.InterruptedIOException;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Carries out the faults the mesh injected into an attempt (see {@link dev.meshwork.Fault}): waits
 * out a delay before the attempt is sent, and answers an aborted attempt with a response of the
 * injected status that never left the process.
 */
final class InjectedFaults {

  /** Marks a response made up by fault injection, so that it is easy to tell apart when testing. */
  static final String HEADER = "meshwork-fault";

  private InjectedFaults() {}

  /** Waits the attempt's injected delay, if any, on the mesh's ticker. */
  static void delay(Mesh mesh, Attempt attempt) throws InterruptedIOException {
    long delay = attempt.injectedDelayNanos();
    if (delay <= 0) {
      return;
    }
    try {
      mesh.ticker().sleep(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(
          "interrupted during an injected delay to " + attempt.call().service());
    }
  }

  /** The response of an aborted attempt: its injected status, an empty body, nothing sent. */
  static Response abort(Request request, Attempt attempt) {
    return new Response.Builder()
        .request(request)
        .protocol(Protocol.HTTP_1_1)
        .code(attempt.injectedHttpStatus())
        .message("Fault Injected")
        .header(HEADER, "abort")
        .body(ResponseBody.EMPTY)
        .build();
  }
}
