package dev.meshwork.servlet;

import dev.meshwork.AccessDecision;
import dev.meshwork.Deadline;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshContext;
import dev.meshwork.SpiffeId;
import dev.meshwork.TimeoutHeader;
import dev.meshwork.X509Identity;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP inbound side of the mesh for servlet containers: for the duration of each request, the
 * caller's context is the current {@link MeshContext}, so mesh calls the handler makes (OkHttp or
 * gRPC) inherit what is left of the caller's deadline. The context carries
 *
 * <ul>
 *   <li>the deadline from the {@code meshwork-timeout} header (the caller's remaining time, which
 *       mesh clients send on every call); a malformed value sets none;
 *   <li>the peer's SPIFFE ID from its mTLS client certificate (the container's {@value
 *       #CLIENT_CERTIFICATES} attribute), under {@link MeshContext#PEER_IDENTITY};
 *   <li>the {@link InboundCall}, under {@link InboundCall#CONTEXT_KEY};
 *   <li>whatever the mesh's {@link dev.meshwork.Propagator}s read from the request headers.
 * </ul>
 *
 * <p>Before the chain runs, the request is checked against the mesh's access policy ({@link
 * Mesh#authorize}: SMI TrafficTargets, Consul intentions) for this server's identity and the
 * caller's; a denied request gets 403 with the reason as a plain-text body and never reaches the
 * handler, and the denial goes to {@link dev.meshwork.MeshListener#accessDenied}. Callers are
 * identified by their client certificates: serve over TLS with the mesh's {@link
 * dev.meshwork.TransportSecurity#serverContext()}, which requires one, and have the container put
 * the chain in the {@value #CLIENT_CERTIFICATES} attribute (Jetty: {@code
 * SecureRequestCustomizer}).
 *
 * <p>Each request is reported to the mesh's listeners ({@code inboundStarted} / {@code
 * inboundEnded} with the response status, classified by the mesh's classifier), where inbound
 * metrics and server spans hook in. Asynchronous requests end when their async cycle completes; the
 * context is current on the container thread that runs the filter chain, not on threads the handler
 * hands work to (wrap those tasks with {@link MeshContext#wrap}).
 *
 * <p>Thread-safe; register one instance for all requests:
 *
 * <pre>{@code
 * ServletContextHandler context = new ServletContextHandler();
 * context.addFilter(new FilterHolder(new MeshServletFilter(mesh)), "/*",
 *     EnumSet.of(DispatcherType.REQUEST));
 * }</pre>
 */
public final class MeshServletFilter implements Filter {

  /** The request attribute where containers put the client's certificate chain (Servlet spec). */
  public static final String CLIENT_CERTIFICATES = "jakarta.servlet.request.X509Certificate";

  private final Mesh mesh;

  public MeshServletFilter(Mesh mesh) {
    this.mesh = Objects.requireNonNull(mesh, "mesh");
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest)
        || !(res instanceof HttpServletResponse)
        || req.getDispatcherType() != DispatcherType.REQUEST) {
      chain.doFilter(req, res); // forwards, includes and async dispatches belong to the original
      return;
    }
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    Deadline deadline = deadline(request);
    SpiffeId peer = peerIdentity(request);
    InboundCall started =
        InboundCall.start(
            mesh,
            InboundCall.Protocol.HTTP,
            request.getMethod(),
            request.getRequestURI(),
            peer,
            deadline);
    MeshContext ctx = MeshContext.root().with(InboundCall.CONTEXT_KEY, started);
    if (deadline != null) {
      ctx = ctx.withDeadline(deadline);
    }
    if (peer != null) {
      ctx = ctx.with(MeshContext.PEER_IDENTITY, peer);
    }
    ctx = mesh.extract(ctx, request::getHeader);
    Ending ending = new Ending(started, response);
    AccessDecision access = mesh.authorize(started, new ServletRequestView(request));
    if (!access.allowed()) {
      deny(response, access);
      ending.end();
      return;
    }
    try (MeshContext.Scope ignored = ctx.makeCurrent()) {
      chain.doFilter(request, response);
    } catch (IOException | ServletException | RuntimeException | Error e) {
      ending.endError(e);
      throw e;
    }
    if (request.isAsyncStarted()) {
      request.getAsyncContext().addListener(ending);
    } else {
      ending.end();
    }
  }

  /** 403 with the reason as plain text (the container's error page could hide it). */
  private static void deny(HttpServletResponse response, AccessDecision access) throws IOException {
    response.setStatus(HttpServletResponse.SC_FORBIDDEN);
    response.setContentType("text/plain;charset=utf-8");
    response.getWriter().println("access denied: " + access.reason());
  }

  private @Nullable Deadline deadline(HttpServletRequest request) {
    String header = request.getHeader(TimeoutHeader.NAME);
    if (header == null) {
      return null;
    }
    try {
      return Deadline.afterNanos(TimeoutHeader.decodeNanos(header.trim()), mesh.ticker());
    } catch (IllegalArgumentException malformed) {
      return null; // a malformed header sets no deadline; the request is still served
    }
  }

  /** The SPIFFE ID in the client's certificate, or null without mTLS or without a SPIFFE ID. */
  static @Nullable SpiffeId peerIdentity(ServletRequest request) {
    Object chain = request.getAttribute(CLIENT_CERTIFICATES);
    if (chain instanceof X509Certificate[] && ((X509Certificate[]) chain).length > 0) {
      return X509Identity.spiffeIdOf(((X509Certificate[]) chain)[0]);
    }
    return null;
  }

  /** Ends the inbound call exactly once, when the response is complete. */
  private static final class Ending implements AsyncListener {
    private final AtomicReference<@Nullable InboundCall> started;
    private final HttpServletResponse response;

    Ending(InboundCall started, HttpServletResponse response) {
      this.started = new AtomicReference<>(started);
      this.response = response;
    }

    void end() {
      InboundCall s = started.getAndSet(null);
      if (s != null) {
        s.endHttp(response.getStatus());
      }
    }

    void endError(Throwable error) {
      InboundCall s = started.getAndSet(null);
      if (s != null) {
        s.endError(error);
      }
    }

    @Override
    public void onComplete(AsyncEvent event) {
      end();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      // The container answers a timed-out async request itself; onComplete follows.
    }

    @Override
    public void onError(AsyncEvent event) {
      Throwable t = event.getThrowable();
      if (t != null) {
        endError(t);
      } else {
        end();
      }
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
      event.getAsyncContext().addListener(this);
    }
  }
}
