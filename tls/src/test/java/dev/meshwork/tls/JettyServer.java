package dev.meshwork.tls;

import dev.meshwork.Mesh;
import dev.meshwork.MeshContext;
import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import dev.meshwork.servlet.MeshServletFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.jspecify.annotations.Nullable;

/**
 * A Jetty 12 server on 127.0.0.1 for end-to-end tests: HTTPS with a given {@link SSLContext} (the
 * mesh's server context, or a rogue one) or plaintext, optionally behind {@link MeshServletFilter}.
 * It answers {@code hello <caller's SPIFFE ID>} (or {@code hello anonymous}), closing the
 * connection when asked with {@code ?close}, and records every TLS handshake's client certificate.
 * While {@link #stall} is closed, requests wait for it before answering.
 */
final class JettyServer implements AutoCloseable {

  final Server server = new Server();
  final AtomicInteger served = new AtomicInteger();
  final AtomicInteger handshakes = new AtomicInteger();
  final List<X509Certificate> clientCertificates = new CopyOnWriteArrayList<>();
  volatile CountDownLatch stall = new CountDownLatch(0);
  final int port;

  JettyServer(@Nullable SSLContext tls, @Nullable Mesh mesh) throws Exception {
    HttpConfiguration http = new HttpConfiguration();
    ServerConnector connector;
    if (tls == null) {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    } else {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false); // peers are checked by identity, not by host name
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setSslContext(tls);
      connector =
          new ServerConnector(
              server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
      connector.addBean(
          new SslHandshakeListener() {
            @Override
            public void handshakeSucceeded(Event event) {
              handshakes.incrementAndGet();
              try {
                Certificate[] chain = event.getSSLEngine().getSession().getPeerCertificates();
                clientCertificates.add((X509Certificate) chain[0]);
              } catch (SSLPeerUnverifiedException none) {
                // a client without a certificate (only when the context does not require one)
              }
            }
          });
    }
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    if (mesh != null) {
      context.addFilter(
          new FilterHolder(new MeshServletFilter(mesh)), "/*", EnumSet.of(DispatcherType.REQUEST));
    }
    context.addServlet(new ServletHolder(new Hello()), "/*");
    server.setHandler(context);
    server.start();
    port = connector.getLocalPort();
  }

  /** The identity of the latest handshake's client, or null. */
  @Nullable SpiffeId lastClient() {
    return clientCertificates.isEmpty()
        ? null
        : X509Identity.spiffeIdOf(clientCertificates.get(clientCertificates.size() - 1));
  }

  private final class Hello extends HttpServlet {
    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      served.incrementAndGet();
      try {
        stall.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      SpiffeId peer = MeshContext.current().get(MeshContext.PEER_IDENTITY);
      if (req.getQueryString() != null && req.getQueryString().contains("close")) {
        resp.setHeader("Connection", "close");
      }
      resp.setContentType("text/plain");
      resp.getWriter().print("hello " + (peer == null ? "anonymous" : peer));
    }
  }

  @Override
  public void close() throws Exception {
    stall.countDown();
    server.stop();
  }
}
