package dev.meshwork.okhttp;

import okhttp3.Call;
import okhttp3.HttpUrl;
import org.jspecify.annotations.Nullable;

/**
 * What the mesh remembers about one OkHttp {@link Call} (kept as a call tag): the endpoint and URL
 * port of its latest routed exchange.
 *
 * <p>Why: an OkHttp call keeps its connection between exchanges (retries, redirects, an outer
 * interceptor calling {@code proceed} twice) and reuses it for any request with the same host and
 * port, whatever DNS or socket factory the new exchange asks for. Routed requests keep their
 * logical host, so an exchange for another endpoint would ride the previous endpoint's connection.
 * When that would happen, the exchange's URL uses a neighbouring port instead: OkHttp then lets the
 * call's connection go and finds (or opens) one to the right endpoint, whose port the {@link
 * EndpointConnector} applies anyway. Not thread-safe; a call runs on one thread at a time.
 */
final class CallConnections {

  private @Nullable EndpointConnector last;
  private int lastPort;

  static CallConnections of(Call call) {
    return call.tag(CallTags.CONNECTIONS, CallConnections::new);
  }

  /** The URL port the next exchange to {@code connector} must use, for a logical {@code url}. */
  int portFor(EndpointConnector connector, HttpUrl url) {
    int port = url.port();
    if (last != null && !last.equals(connector) && lastPort == port) {
      port = port == 65535 ? port - 1 : port + 1;
    }
    return port;
  }

  void exchanged(EndpointConnector connector, int port) {
    last = connector;
    lastPort = port;
  }
}
