package dev.meshwork.examples;

import com.sun.net.httpserver.HttpServer;
import dev.meshwork.Endpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on loopback standing in for one instance of a service: answers with its name
 * after {@code delayMillis}, and with 503 for a share of requests.
 */
final class DemoBackend implements AutoCloseable {

  static {
    // The JDK server writes headers and body separately; without this, Nagle's algorithm and
    // delayed ACKs add ~40 ms to every response on loopback.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(8, daemon());
  final String name;

  DemoBackend(String name, long delayMillis, double failureRate) throws IOException {
    this.name = name;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          try {
            if (delayMillis > 0) {
              TimeUnit.MILLISECONDS.sleep(delayMillis);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          boolean fail = ThreadLocalRandom.current().nextDouble() < failureRate;
          byte[] body = (fail ? "unavailable" : name).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  /** This backend as a mesh endpoint, labelled with its name for the demo's table. */
  Endpoint endpoint() {
    return Endpoint.of("127.0.0.1", server.getAddress().getPort()).withLabel("instance", name);
  }

  private static java.util.concurrent.ThreadFactory daemon() {
    return r -> {
      Thread t = new Thread(r, "demo-backend");
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
