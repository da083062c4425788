package dev.meshwork.grpc;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * In-process servers standing in for mesh endpoints: endpoint {@code 10.0.0.1:80} is served by the
 * in-process server of that name (prefixed per test), and channels map endpoints the same way.
 */
final class InProcessMesh implements AutoCloseable {

  private final String prefix = UUID.randomUUID() + "/";
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  SocketAddress address(Endpoint e) {
    return new InProcessSocketAddress(prefix + e.authority());
  }

  Echo serve(Endpoint endpoint, String name, ServerInterceptor... interceptors) {
    Echo echo = new Echo(name);
    try {
      servers.add(
          InProcessServerBuilder.forName(prefix + endpoint.authority())
              .directExecutor()
              .addService(ServerInterceptors.intercept(echo.service(), interceptors))
              .build()
              .start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return echo;
  }

  ManagedChannel channel(Mesh mesh, String service) {
    ManagedChannel channel =
        MeshGrpc.install(
                InProcessChannelBuilder.forTarget("mesh:///" + service), mesh, this::address)
            .directExecutor()
            .build();
    channels.add(channel);
    return channel;
  }

  @Override
  public void close() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
