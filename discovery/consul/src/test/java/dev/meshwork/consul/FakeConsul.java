package dev.meshwork.consul;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.HttpHeader;
import com.github.tomakehurst.wiremock.http.HttpHeaders;
import com.github.tomakehurst.wiremock.http.QueryParameter;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.meshwork.consul.internal.GoDuration;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * WireMock playing a Consul agent, faithful to blocking queries: a request with {@code index} hangs
 * until the resource's index moves past it or {@code wait} (plus the scripted jitter) passes, then
 * answers with the current state and Consul's headers in their real casing ({@code X-Consul-Index},
 * {@code X-Consul-Knownleader}, {@code X-Consul-Lastcontact}). Tests script changes with {@link
 * #set}; a path with {@code ?dc=<dc>} is another datacenter's resource (queries with {@code dc}
 * read it, blocking the same way); unknown health paths answer {@code []}, unknown config entries
 * 404 with Consul's text body (and still an index, and still blocking), and the Connect CA answers
 * 500 as on a cluster without Connect until a test sets it.
 */
final class FakeConsul implements AutoCloseable {

  /** Consul's answer to Connect CA queries when Connect is not enabled. */
  static final String CONNECT_DISABLED = "Connect must be enabled in order to use this endpoint";

  /** The index of resources nobody set: the table index Consul would report. */
  static final long UNSET_INDEX = 10;

  private record Resource(int status, String body, long index) {}

  private final Map<String, Resource> resources = new ConcurrentHashMap<>();
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> received =
      new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private long raftIndex = 100;
  private volatile boolean omitIndex;
  private volatile int failuresLeft;
  private final Map<String, java.util.concurrent.atomic.AtomicInteger> pathFailuresLeft =
      new ConcurrentHashMap<>();
  private volatile Duration jitter = Duration.ZERO;
  private volatile String defaultAclPolicy = "allow";
  private WireMockServer server;
  private final int port;

  FakeConsul() {
    server = start(0);
    port = server.port();
  }

  private WireMockServer start(int port) {
    WireMockServer s =
        new WireMockServer(
            WireMockConfiguration.options()
                .bindAddress("127.0.0.1")
                .port(port)
                .containerThreads(64)
                .extensions(new Blocking()));
    s.start();
    s.stubFor(any(anyUrl()).willReturn(ok()));
    return s;
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  ConsulAgent agent() {
    return ConsulAgent.builder(url()).token("secret-token").build();
  }

  /** Replaces the body at {@code path} and moves its index forward, waking blocked queries. */
  long set(String path, String body) {
    synchronized (lock) {
      long index = ++raftIndex;
      resources.put(path, new Resource(200, body, index));
      lock.notifyAll();
      return index;
    }
  }

  /** Sets the body and an explicit index (which may go backwards). */
  void set(String path, String body, long index) {
    synchronized (lock) {
      resources.put(path, new Resource(200, body, index));
      raftIndex = Math.max(raftIndex, index);
      lock.notifyAll();
    }
  }

  /** Deletes a config entry: it answers 404 again, at a new index. */
  void delete(String path) {
    synchronized (lock) {
      resources.put(path, new Resource(404, notFound(path), ++raftIndex));
      lock.notifyAll();
    }
  }

  void omitIndexHeader(boolean omit) {
    omitIndex = omit;
  }

  /** The next {@code n} requests answer 500. */
  void failNext(int n) {
    failuresLeft = n;
  }

  /** The next {@code n} requests for {@code path} (with {@code ?dc=} if any) answer 500. */
  void failNext(String path, int n) {
    pathFailuresLeft.put(path, new java.util.concurrent.atomic.AtomicInteger(n));
  }

  /** Extra time a blocking query hangs past {@code wait}, as Consul's jitter may add. */
  void jitter(Duration jitter) {
    this.jitter = jitter;
  }

  void defaultAclPolicy(String policy) {
    defaultAclPolicy = policy;
  }

  /** How many queries for {@code path} arrived, including ones still hanging. */
  int received(String path) {
    var n = received.get(path);
    return n == null ? 0 : n.get();
  }

  /** Queries for {@code path} that have been answered, in order. */
  List<LoggedRequest> requests(String path) {
    return server.findAll(getRequestedFor(urlPathEqualTo(path)));
  }

  /** Stops answering: connections are refused until {@link #restart()}. */
  void stop() {
    server.stop();
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  /** Answers again on the same port, with the same state. */
  void restart() {
    server = start(port);
  }

  @Override
  public void close() {
    server.stop();
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  static String fixture(String name) {
    try (InputStream in = FakeConsul.class.getResourceAsStream("/consul/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String notFound(String path) {
    String[] parts = path.split("/");
    return parts.length >= 5
        ? "Config entry not found for \"" + parts[3] + "\" / \"" + parts[4] + "\""
        : "Not found";
  }

  private Resource current(String path) {
    Resource r = resources.get(path);
    if (r != null) {
      return r;
    }
    if (path.startsWith("/v1/health/service/")) {
      return new Resource(200, "[]", UNSET_INDEX);
    }
    if (path.startsWith("/v1/connect/intentions/match")) {
      return new Resource(200, "{}", UNSET_INDEX);
    }
    if (path.startsWith("/v1/agent/connect/")) {
      // What an agent of a cluster without Connect answers, until a test sets a CA.
      return new Resource(500, CONNECT_DISABLED, UNSET_INDEX);
    }
    return new Resource(404, notFound(path), UNSET_INDEX);
  }

  /** Holds a blocking query until its resource changes or its wait passes. */
  private final class Blocking implements ResponseDefinitionTransformerV2 {
    @Override
    public String getName() {
      return "consul-blocking";
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
      var request = event.getRequest();
      String path = request.getUrl().split("\\?")[0];
      QueryParameter dc = request.queryParameter("dc");
      if (dc != null && dc.isPresent()) {
        // Another datacenter's resource, answered through this agent.
        path += "?dc=" + dc.firstValue();
      }
      received
          .computeIfAbsent(path, p -> new java.util.concurrent.atomic.AtomicInteger())
          .incrementAndGet();
      var pathFailures = pathFailuresLeft.get(path);
      if (failuresLeft > 0 || (pathFailures != null && pathFailures.getAndDecrement() > 0)) {
        if (failuresLeft > 0) {
          failuresLeft--;
        }
        return new ResponseDefinition(500, "rpc error making call: No cluster leader");
      }
      long index = longParam(request.queryParameter("index"), 0);
      Resource r = current(path);
      if (index > 0 && r.index() <= index) {
        QueryParameter w = request.queryParameter("wait");
        Duration wait = w.isPresent() ? GoDuration.parse(w.firstValue()) : Duration.ofMinutes(5);
        long deadline = System.nanoTime() + wait.plus(jitter).toNanos();
        synchronized (lock) {
          r = current(path);
          while (r.index() <= index && server.isRunning()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              break;
            }
            try {
              lock.wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              break;
            }
            r = current(path);
          }
        }
      }
      List<HttpHeader> headers = new ArrayList<>();
      if (!omitIndex) {
        headers.add(new HttpHeader("X-Consul-Index", Long.toString(r.index())));
      }
      headers.add(new HttpHeader("X-Consul-Knownleader", "true"));
      headers.add(new HttpHeader("X-Consul-Lastcontact", "0"));
      headers.add(new HttpHeader("X-Consul-Effective-Consistency", "leader"));
      headers.add(new HttpHeader("X-Consul-Default-Acl-Policy", defaultAclPolicy));
      headers.add(
          new HttpHeader(
              "Content-Type",
              r.status() == 200 ? "application/json" : "text/plain; charset=utf-8"));
      return com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder.responseDefinition()
          .withStatus(r.status())
          .withHeaders(new HttpHeaders(headers))
          .withBody(r.body())
          .build();
    }

    private long longParam(QueryParameter p, long fallback) {
      if (p == null || !p.isPresent()) {
        return fallback;
      }
      return Long.parseLong(p.firstValue());
    }
  }
}
