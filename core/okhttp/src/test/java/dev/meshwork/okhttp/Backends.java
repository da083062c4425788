package dev.meshwork.okhttp;

import dev.meshwork.Endpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/** Real HTTP servers on loopback for adapter tests; closes them all. */
final class Backends implements AutoCloseable {

  private final List<MockWebServer> servers = new ArrayList<>();

  /** A server on 127.0.0.1 answering every request with {@code answer}. */
  MockWebServer start(Answer answer) throws IOException {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
            return answer.to(request);
          }
        });
    server.start(InetAddress.getLoopbackAddress(), 0);
    servers.add(server);
    return server;
  }

  /** A server answering {@code code} with its port as the body, recording what it got. */
  MockWebServer start(int code, ConcurrentLinkedQueue<RecordedRequest> seen) throws IOException {
    MockWebServer[] self = new MockWebServer[1];
    self[0] =
        start(
            r -> {
              seen.add(r);
              return new MockResponse.Builder().code(code).body("" + self[0].getPort()).build();
            });
    return self[0];
  }

  static Endpoint endpoint(MockWebServer server) {
    return Endpoint.of("127.0.0.1", server.getPort());
  }

  /** An address where nothing listens: connections are refused. */
  static Endpoint refusing() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return Endpoint.of("127.0.0.1", socket.getLocalPort());
    }
  }

  @Override
  public void close() {
    for (MockWebServer s : servers) {
      s.close();
    }
  }

  @FunctionalInterface
  interface Answer {
    MockResponse to(RecordedRequest request) throws InterruptedException;
  }
}
