package dev.meshwork.tls.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A server {@link SSLContext} whose engines, server sockets and sockets require a client
 * certificate from the start, so a servlet container or socket server handed this context refuses
 * clients without one even if its own configuration forgets to ask. Everything else is the wrapped
 * context's.
 *
 * <p>The wrapped context can be {@linkplain #replace replaced} while servers hold this one: new
 * connections then use the new context, with its own session cache and TLS 1.3 ticket keys, so
 * clients cannot resume sessions (which skip certificates) made before a rotation. Already
 * initialized; {@code init} is refused. Thread-safe.
 *
 * <pre>{@code
 * ClientAuthRequiredContext server = new ClientAuthRequiredContext(initializedContext);
 * sslContextFactory.setSslContext(server);   // Jetty
 * server.replace(freshContext);               // after a rotation
 * }</pre>
 */
public final class ClientAuthRequiredContext extends SSLContext {

  private final Spi spi;

  public ClientAuthRequiredContext(SSLContext delegate) {
    this(new Spi(delegate), delegate);
  }

  private ClientAuthRequiredContext(Spi spi, SSLContext delegate) {
    super(spi, delegate.getProvider(), delegate.getProtocol());
    this.spi = spi;
  }

  /** Makes {@code next} the context of every connection from now on. */
  public void replace(SSLContext next) {
    spi.delegate = next;
  }

  private static final class Spi extends SSLContextSpi {
    volatile SSLContext delegate;
    private final SSLSocketFactory sockets;
    private final SSLServerSocketFactory serverSockets;

    Spi(SSLContext delegate) {
      this.delegate = delegate;
      this.sockets = new Sockets(this);
      this.serverSockets = new ServerSockets(this);
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
      throw new UnsupportedOperationException("this context is initialized by meshwork-tls");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return sockets;
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return serverSockets;
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      SSLEngine engine = delegate.createSSLEngine();
      engine.setNeedClientAuth(true);
      return engine;
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      SSLEngine engine = delegate.createSSLEngine(host, port);
      engine.setNeedClientAuth(true);
      return engine;
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return delegate.getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return delegate.getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      SSLParameters p = delegate.getDefaultSSLParameters();
      p.setNeedClientAuth(true);
      return p;
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return delegate.getSupportedSSLParameters();
    }
  }

  /** Sockets a server layers over accepted connections (as MockWebServer does). */
  private static final class Sockets extends SSLSocketFactory {
    private final Spi spi;

    Sockets(Spi spi) {
      this.spi = spi;
    }

    private SSLSocketFactory delegate() {
      return spi.delegate.getSocketFactory();
    }

    private static Socket require(Socket s) {
      ((SSLSocket) s).setNeedClientAuth(true);
      return s;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate().getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate().getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return require(delegate().createSocket());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose)
        throws IOException {
      return require(delegate().createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(Socket s, InputStream consumed, boolean autoClose)
        throws IOException {
      return require(delegate().createSocket(s, consumed, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return require(delegate().createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws IOException {
      return require(delegate().createSocket(host, port, local, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return require(delegate().createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
        throws IOException {
      return require(delegate().createSocket(host, port, local, localPort));
    }
  }

  private static final class ServerSockets extends SSLServerSocketFactory {
    private final Spi spi;

    ServerSockets(Spi spi) {
      this.spi = spi;
    }

    private SSLServerSocketFactory delegate() {
      return spi.delegate.getServerSocketFactory();
    }

    private static ServerSocket require(ServerSocket s) {
      ((SSLServerSocket) s).setNeedClientAuth(true);
      return s;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate().getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate().getSupportedCipherSuites();
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
      return require(delegate().createServerSocket());
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      return require(delegate().createServerSocket(port));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
      return require(delegate().createServerSocket(port, backlog));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress address)
        throws IOException {
      return require(delegate().createServerSocket(port, backlog, address));
    }
  }
}
