package dev.meshwork.okhttp;

import java.io.IOException;
import java.net.Proxy;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The client settings that {@link MeshOkHttp#install} changes for routed requests, as they were
 * before: requests to hosts outside the mesh are sent with them, exactly as without the mesh.
 */
final class PassThrough {

  private final boolean retryOnConnectionFailure;
  private final @Nullable Proxy proxy;

  PassThrough(boolean retryOnConnectionFailure, @Nullable Proxy proxy) {
    this.retryOnConnectionFailure = retryOnConnectionFailure;
    this.proxy = proxy;
  }

  Response proceed(Interceptor.Chain chain, Request request) throws IOException {
    Interceptor.Chain c = chain;
    if (retryOnConnectionFailure) {
      c = c.withRetryOnConnectionFailure(true);
    }
    if (proxy != Proxy.NO_PROXY) {
      c = c.withProxy(proxy);
    }
    return c.proceed(request);
  }
}
