package dev.meshwork.benchmarks;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Protocol;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * The last application interceptor of a benchmark client: answers every request in-process with an
 * empty 200, so a benchmark measures what the client stack costs and not a socket.
 */
final class StubTransport implements Interceptor {

  @Override
  public Response intercept(Chain chain) throws IOException {
    return new Response.Builder()
        .request(chain.request())
        .protocol(Protocol.HTTP_1_1)
        .code(200)
        .message("OK")
        .body(ResponseBody.EMPTY)
        .build();
  }
}
