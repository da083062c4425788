package dev.meshwork.resilience;

import dev.meshwork.Endpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/** Real HTTP servers on loopback, each answering through a lambda; closes them all. */
final class Servers implements AutoCloseable {

  private final List<MockWebServer> started = new ArrayList<>();

  /** How a server answers one request. */
  @FunctionalInterface
  interface Answer {
    MockResponse to(RecordedRequest request) throws InterruptedException;
  }

  MockWebServer start(Answer answer) {
    MockWebServer server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
            return answer.to(request);
          }
        });
    try {
      server.start(InetAddress.getLoopbackAddress(), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    started.add(server);
    return server;
  }

  static Endpoint endpoint(MockWebServer server) {
    return Endpoint.of("127.0.0.1", server.getPort());
  }

  /** A bodiless response: no extra write, so no Nagle delay on loopback. */
  static MockResponse status(int code) {
    return new MockResponse.Builder().code(code).build();
  }

  @Override
  public void close() {
    for (MockWebServer s : started) {
      s.close();
    }
  }
}
