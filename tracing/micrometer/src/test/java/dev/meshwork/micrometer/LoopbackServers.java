package dev.meshwork.micrometer;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.servlet.MeshServletFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** Real Jetty servers on 127.0.0.1 with the mesh's servlet filter in front of a servlet. */
final class LoopbackServers implements AutoCloseable {

  private final List<Server> servers = new ArrayList<>();

  /** Starts {@code servlet} behind {@code mesh}'s inbound filter; returns its endpoint. */
  Endpoint start(Mesh mesh, HttpServlet servlet) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.addFilter(
        new FilterHolder(new MeshServletFilter(mesh)), "/*", EnumSet.of(DispatcherType.REQUEST));
    context.addServlet(new ServletHolder(servlet), "/*");
    server.setHandler(context);
    server.start();
    servers.add(server);
    return Endpoint.of("127.0.0.1", connector.getLocalPort());
  }

  @Override
  public void close() throws Exception {
    for (Server s : servers) {
      s.stop();
    }
  }
}
