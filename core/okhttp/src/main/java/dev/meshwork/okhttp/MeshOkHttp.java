package dev.meshwork.okhttp;

import dev.meshwork.Mesh;
import java.net.Proxy;
import java.util.Objects;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;

/**
 * Installs the mesh into an {@link OkHttpClient}. Requests to {@code http://<service>/…} (or {@code
 * http://<service>.<namespace>/…}) for a service the mesh knows are routed, split across backends,
 * balanced over endpoints, bounded by their deadline and retried within the destination's retry
 * budget; requests to any other host pass through untouched.
 *
 * <pre>{@code
 * OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();
 * Response r = client.newCall(new Request.Builder().url("http://reviews/books/1").build()).execute();
 * }</pre>
 *
 * <p>What installation changes, and why:
 *
 * <ul>
 *   <li>It adds one <em>application</em> interceptor, because only an application interceptor may
 *       call {@code proceed} again (a retry) with a different target (another endpoint).
 *   <li>It turns off OkHttp's own redirect following and follows redirects itself, with the
 *       client's previous settings ({@code followRedirects}, {@code followSslRedirects}, at most 20
 *       follow-ups, OkHttp's rules for methods, bodies and {@code Authorization}). OkHttp follows
 *       redirects below application interceptors, where a relative {@code Location} would go
 *       straight back to one endpoint's IP and an absolute {@code http://<service>/} one would miss
 *       the mesh entirely; followed here, every follow-up is routed like a new request. Set
 *       redirect and proxy preferences on the builder <em>before</em> installing.
 *   <li>Routed requests keep their logical URL; each attempt's connection is steered to the chosen
 *       endpoint through per-call DNS and socket-factory overrides. So {@code Host}, cookies, the
 *       response cache and TLS's server name all see the service name, and OkHttp pools connections
 *       per endpoint.
 *   <li>Routed requests run without OkHttp's silent retry on connection failure, so that every
 *       retry is the mesh's: paid from the budget, on another endpoint, and never repeating a
 *       non-idempotent request that may have reached the server; and without a proxy, which would
 *       not know the service name. These are set on the client (they cost nothing per routed call)
 *       and the client's previous {@code retryOnConnectionFailure} and {@code proxy} are put back
 *       for each request that passes through.
 *   <li>When the mesh has {@linkplain dev.meshwork.Mesh.Builder#transportSecurity transport
 *       security} and it puts an endpoint under mTLS, the attempt to it goes out over {@code https}
 *       with the workload's certificate and accepts only a server whose certificate carries the
 *       endpoint's expected SPIFFE ID; the application keeps its {@code http://} URL, as it would
 *       behind a sidecar. Each endpoint and identity keeps its own pooled connections, so
 *       handshakes happen per connection, not per request.
 * </ul>
 *
 * <p>Errors leave as {@link java.io.IOException}s: {@link MeshIOException} when the mesh stops a
 * call (no healthy endpoints, retries stopped), {@link MeshDeadlineExceededException} when the
 * deadline passes. A response with an error status that was not retried (or whose retries were
 * stopped) is returned as it is, like any OkHttp response.
 */
public final class MeshOkHttp {

  private MeshOkHttp() {}

  /**
   * Installs the mesh on {@code builder} and returns it. Calling it again for the same builder does
   * nothing.
   */
  public static OkHttpClient.Builder install(OkHttpClient.Builder builder, Mesh mesh) {
    Objects.requireNonNull(builder, "builder");
    Objects.requireNonNull(mesh, "mesh");
    for (Interceptor i : builder.interceptors()) {
      if (i instanceof MeshInterceptor) {
        return builder;
      }
    }
    OkHttpClient current = builder.build();
    Redirects redirects = new Redirects(current.followRedirects(), current.followSslRedirects());
    PassThrough passThrough = new PassThrough(current.retryOnConnectionFailure(), current.proxy());
    return builder
        .addInterceptor(new MeshInterceptor(mesh, redirects, passThrough))
        .followRedirects(false)
        .followSslRedirects(false)
        .retryOnConnectionFailure(false)
        .proxy(Proxy.NO_PROXY);
  }
}
