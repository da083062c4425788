package dev.meshwork.okhttp;

import dev.meshwork.Attempt;
import dev.meshwork.Endpoint;
import dev.meshwork.MeshContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import javax.net.SocketFactory;
import okhttp3.Dns;

/**
 * Steers one attempt's connection to the endpoint the mesh picked while the request keeps its
 * logical URL ({@code http://reviews/books/1}): as the call's {@link Dns} it resolves the logical
 * host to the endpoint's addresses, and as its {@link SocketFactory} it connects to the endpoint's
 * port instead of the URL's. So {@code Host}, cookies, the cache and TLS's server name all see the
 * logical service, nothing is copied to rewrite the URL, and OkHttp's connection pool (which keys
 * connections by DNS and socket factory among other things) keeps one pool per endpoint, because
 * two connectors are equal exactly when their endpoints' addresses are.
 */
final class EndpointConnector extends SocketFactory implements Dns {

  private static final MeshContext.Key<EndpointConnector> KEY =
      MeshContext.Key.named("okhttp endpoint connector");

  /** The connector of {@code attempt}'s endpoint, made once per endpoint and kept with it. */
  static EndpointConnector of(Attempt attempt) {
    EndpointConnector c = attempt.endpointAttachment(KEY);
    return c != null ? c : attempt.attachToEndpoint(KEY, new EndpointConnector(attempt.endpoint()));
  }

  private final String host;
  private final int port;

  EndpointConnector(Endpoint endpoint) {
    this.host = endpoint.host();
    this.port = endpoint.port();
  }

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    return List.of(InetAddress.getAllByName(host));
  }

  @Override
  public Socket createSocket() {
    return new Socket() {
      @Override
      public void connect(SocketAddress address, int timeout) throws IOException {
        InetAddress ip = ((InetSocketAddress) address).getAddress();
        super.connect(new InetSocketAddress(ip, port), timeout);
      }
    };
  }

  // OkHttp only calls createSocket(); the rest of SocketFactory connects directly.

  @Override
  public Socket createSocket(String h, int p) throws IOException {
    return SocketFactory.getDefault().createSocket(host, port);
  }

  @Override
  public Socket createSocket(String h, int p, InetAddress localHost, int localPort)
      throws IOException {
    return SocketFactory.getDefault().createSocket(host, port, localHost, localPort);
  }

  @Override
  public Socket createSocket(InetAddress h, int p) throws IOException {
    return SocketFactory.getDefault().createSocket(h, port);
  }

  @Override
  public Socket createSocket(InetAddress h, int p, InetAddress localAddress, int localPort)
      throws IOException {
    return SocketFactory.getDefault().createSocket(h, port, localAddress, localPort);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EndpointConnector
        && ((EndpointConnector) o).port == port
        && ((EndpointConnector) o).host.equals(host);
  }

  @Override
  public int hashCode() {
    return host.hashCode() * 31 + port;
  }

  @Override
  public String toString() {
    return "EndpointConnector{" + host + ":" + port + "}";
  }
}
