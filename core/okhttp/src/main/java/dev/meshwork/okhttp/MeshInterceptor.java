package dev.meshwork.okhttp;

import dev.meshwork.Attempt;
import dev.meshwork.ConcurrencyLimitExceededException;
import dev.meshwork.DeadlineExceededException;
import dev.meshwork.HeaderModifier;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.NoHealthyEndpointsException;
import dev.meshwork.PathRewrite;
import dev.meshwork.RetryDecision;
import dev.meshwork.SpiffeId;
import dev.meshwork.TimeoutHeader;
import dev.meshwork.TransportSecurity;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.jspecify.annotations.Nullable;

/**
 * The application interceptor {@link MeshOkHttp#install} adds. Per request: pass it through if its
 * host is not a mesh service; otherwise drive one {@link MeshCall} — pick an endpoint, send to it
 * with the logical host in {@code Host} and the remaining time in the deadline header, classify,
 * and retry as the call decides. Then follow redirects, each one routed afresh.
 */
final class MeshInterceptor implements Interceptor {

  private final Mesh mesh;
  private final Redirects redirects;
  private final PassThrough passThrough;

  MeshInterceptor(Mesh mesh, Redirects redirects, PassThrough passThrough) {
    this.mesh = mesh;
    this.redirects = redirects;
    this.passThrough = passThrough;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    HedgedExchange.AttemptTag attempt = chain.call().tag(CallTags.ATTEMPT);
    if (attempt != null) {
      return attempt.send(chain); // one attempt of a hedged call, routed by its parent
    }
    Request request = chain.request();
    Response response = send(chain, request);
    if (!redirects.enabled()) {
      return response;
    }
    for (int followUps = 1; ; followUps++) {
      Request next = redirects.followUp(request, response);
      if (next == null) {
        return response;
      }
      response.close();
      if (followUps > Redirects.MAX_FOLLOW_UPS) {
        throw new ProtocolException("Too many follow-up requests: " + followUps);
      }
      Response prior = response.newBuilder().body(ResponseBody.EMPTY).build();
      request = next;
      response = send(chain, request).newBuilder().priorResponse(prior).build();
    }
  }

  private Response send(Chain chain, Request request) throws IOException {
    MeshCall call = mesh.newCall(request.url().host(), new OkHttpRequestView(request));
    return call == null ? passThrough.proceed(chain, request) : routed(chain, request, call);
  }

  private Response routed(Chain chain, Request request, MeshCall call) throws IOException {
    // The client runs without silent connection retries and without a proxy (see MeshOkHttp).
    CallConnections connections = CallConnections.of(chain.call());
    while (true) {
      Attempt attempt;
      try {
        attempt = call.startAttempt();
      } catch (NoHealthyEndpointsException e) {
        throw new MeshIOException(e.getMessage(), null, e);
      } catch (DeadlineExceededException e) {
        throw new MeshDeadlineExceededException(e.getMessage(), e);
      } catch (ConcurrencyLimitExceededException e) {
        throw new MeshConcurrencyLimitException(e);
      }
      Response response;
      IOException e;
      RetryDecision d;
      if (attempt.number() == 1 && call.backupDelayNanos() >= 0) {
        HedgedExchange.Outcome outcome =
            new HedgedExchange(mesh, call, chain, request).run(attempt);
        response = outcome.response();
        e = outcome.error();
        d = outcome.decision();
      } else {
        try {
          response = send(chain, request, call, attempt, connections);
          e = null;
          d = call.completeHttp(attempt, response.code());
        } catch (IOException error) {
          if (chain.call().isCanceled()) {
            call.completeCancelled(attempt);
            throw error;
          }
          response = null;
          e = error;
          d = call.completeError(attempt, error, neverSent(error));
        }
      }
      if (response == null) {
        if (e == null || chain.call().isCanceled()) {
          throw e != null ? e : new IOException("Canceled");
        }
        if (d != RetryDecision.RETRY) {
          boolean ranOutOfTime =
              e instanceof InterruptedIOException
                  && shortensReadTimeout(chain, attempt.remainingNanos());
          throw failure(call, ranOutOfTime ? RetryDecision.DEADLINE_EXCEEDED : d, e);
        }
        backoff(call);
        continue;
      }
      if (d != RetryDecision.RETRY) {
        // The application sees its own URL, whatever the attempt had to change in it.
        return response.request().url() == request.url()
            ? response
            : response.newBuilder().request(request).build();
      }
      response.close();
      backoff(call);
    }
  }

  /** Sends one attempt on the application's own call; the caller completes it. */
  private Response send(
      Chain chain, Request request, MeshCall call, Attempt attempt, CallConnections connections)
      throws IOException {
    EndpointConnector connector = EndpointConnector.of(attempt);
    TransportSecurity security = mesh.transportSecurity();
    SpiffeId identity = EndpointTls.expected(security, call, attempt);
    Chain bounded =
        forAttempt(chain, attempt, connector, request.body() != null, security, identity);
    HttpUrl target = identity == null ? request.url() : EndpointTls.https(request.url());
    int port = connections.portFor(connector, target);
    InjectedFaults.delay(mesh, attempt);
    Request out = outbound(request, target, call, attempt, port, mesh);
    if (attempt.isInjectedAbort()) {
      return InjectedFaults.abort(out, attempt);
    }
    connections.exchanged(connector, port);
    return bounded.proceed(out);
  }

  /**
   * {@code chain} as one attempt uses it: connections steered to the attempt's endpoint, socket
   * timeouts bounded by the deadline, and the mTLS settings when the endpoint must present {@code
   * identity} (see {@link EndpointTls}).
   */
  static Chain forAttempt(
      Chain chain,
      Attempt attempt,
      EndpointConnector connector,
      boolean hasBody,
      @Nullable TransportSecurity security,
      @Nullable SpiffeId identity) {
    Chain c = withTimeouts(chain.withDns(connector).withSocketFactory(connector), attempt, hasBody);
    return security != null && identity != null ? EndpointTls.secure(c, security, identity) : c;
  }

  /** Whether the call's remaining time, not the client's setting, bounded the read timeout. */
  private static boolean shortensReadTimeout(Chain chain, long remainingNanos) {
    return remainingNanos != Long.MAX_VALUE
        && TimeUnit.NANOSECONDS.toMillis(remainingNanos) < positive(chain.readTimeoutMillis());
  }

  /**
   * The request as the attempt sends it: still addressed to the logical URL (the {@link
   * EndpointConnector} steers the connection), with the deadline header and the route's header
   * changes; {@code target} is the URL with the attempt's scheme ({@code https} for mTLS, see
   * {@link EndpointTls}); {@code port} differs from its port only to leave the call's previous
   * connection (see {@link CallConnections}). Copied only when something changes.
   */
  static Request outbound(
      Request request, HttpUrl target, MeshCall call, Attempt attempt, int port, Mesh mesh) {
    HeaderModifier headers = call.route().requestHeaders();
    PathRewrite rewrite = call.route().pathRewrite();
    HttpUrl url = target;
    if (!call.hasDeadline()
        && headers.isEmpty()
        && url == request.url()
        && port == url.port()
        && rewrite == null
        && !mesh.hasPropagators()) {
      return request;
    }
    Request.Builder out = request.newBuilder();
    String path = url.encodedPath();
    String rewritten = rewrite == null ? path : rewrite.apply(path);
    if (port != url.port() || !rewritten.equals(path) || url != request.url()) {
      out.url(url.newBuilder().port(port).encodedPath(rewritten).build());
      if (port != url.port() && request.header("Host") == null) {
        out.header("Host", hostHeader(url));
      }
    }
    if (call.hasDeadline()) {
      out.header(TimeoutHeader.NAME, TimeoutHeader.encode(attempt.remainingNanos()));
    }
    if (mesh.hasPropagators()) {
      mesh.inject(call, attempt, out::header);
    }
    if (!headers.isEmpty()) {
      headers.remove().forEach(out::removeHeader);
      headers.set().forEach(out::header);
      for (Map.Entry<String, String> e : headers.add()) {
        out.addHeader(e.getKey(), e.getValue());
      }
    }
    return out.build();
  }

  private static String hostHeader(HttpUrl url) {
    return url.port() == HttpUrl.defaultPort(url.scheme())
        ? url.host()
        : url.host() + ":" + url.port();
  }

  /**
   * Socket timeouts no longer than the call's remaining time, so an attempt cannot outlive it; only
   * the ones the deadline actually shortens are changed.
   */
  static Chain withTimeouts(Chain chain, Attempt attempt, boolean hasBody) {
    long remaining = attempt.remainingNanos();
    if (remaining == Long.MAX_VALUE) {
      return chain;
    }
    // Rounded up, so that a timeout fires at the deadline, not just before it.
    long ceilMillis = (remaining + 999_999) / 1_000_000;
    int millis = (int) Math.min(Math.max(ceilMillis, 1), 1 << 30);
    Chain c = chain;
    if (millis < positive(c.connectTimeoutMillis())) {
      c = c.withConnectTimeout(millis, TimeUnit.MILLISECONDS);
    }
    if (millis < positive(c.readTimeoutMillis())) {
      c = c.withReadTimeout(millis, TimeUnit.MILLISECONDS);
    }
    if (millis < positive(c.writeTimeoutMillis()) && hasBody) {
      c = c.withWriteTimeout(millis, TimeUnit.MILLISECONDS);
    }
    return c;
  }

  private static int positive(int timeoutMillis) {
    return timeoutMillis == 0 ? Integer.MAX_VALUE : timeoutMillis;
  }

  /**
   * Whether the request certainly never reached the server: the connection could not be made.
   * Anything after connecting may have delivered the request.
   */
  static boolean neverSent(IOException e) {
    if (e instanceof ConnectException
        || e instanceof SSLHandshakeException // TLS refused before any request byte was read
        || e instanceof SSLPeerUnverifiedException // the server's identity is not the expected one
        || e instanceof NoRouteToHostException
        || e instanceof UnknownHostException
        || e instanceof PortUnreachableException) {
      return true;
    }
    String message = e.getMessage();
    return e instanceof SocketTimeoutException
        && message != null
        && message.toLowerCase(Locale.ROOT).contains("connect");
  }

  private void backoff(MeshCall call) throws InterruptedIOException {
    try {
      mesh.ticker().sleep(call.backoffNanos());
    } catch (InterruptedException e) {
      call.cancel();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted during retry backoff to " + call.service());
    }
  }

  /**
   * The exception a stopped call leaves with. A timeout of an attempt whose socket timeouts the
   * deadline had shortened is the deadline passing.
   */
  private static IOException failure(MeshCall call, RetryDecision d, IOException last) {
    if (d == RetryDecision.DEADLINE_EXCEEDED) {
      return new MeshDeadlineExceededException(
          call.describe(RetryDecision.DEADLINE_EXCEEDED), last);
    }
    if (d == RetryDecision.COMPLETE) {
      return last;
    }
    return new MeshIOException(call.describe(d), d, last);
  }

  @Override
  public String toString() {
    return "MeshInterceptor{" + mesh + "}";
  }
}
