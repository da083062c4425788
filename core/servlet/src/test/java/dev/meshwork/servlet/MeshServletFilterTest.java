package dev.meshwork.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.AccessRule;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshContext;
import dev.meshwork.Propagator;
import dev.meshwork.ResponseClass;
import dev.meshwork.SpiffeId;
import dev.meshwork.testing.RecordingListener;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The filter in a real Jetty 12 (ee10) server on 127.0.0.1. */
class MeshServletFilterTest {

  private final RecordingListener events = new RecordingListener();
  private static final MeshContext.Key<String> TENANT = MeshContext.Key.named("tenant");

  /** Reads x-tenant into the context. */
  private static final Propagator TENANTS =
      new Propagator() {
        @Override
        public MeshContext extract(
            MeshContext context, Function<String, @Nullable String> headers) {
          String tenant = headers.apply("x-tenant");
          return tenant == null ? context : context.with(TENANT, tenant);
        }
      };

  private final Mesh mesh = Mesh.builder().listener(events).propagator(TENANTS).build();
  private final ConcurrentLinkedQueue<MeshContext> seen = new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final HttpClient client = HttpClient.newHttpClient();
  private Server server;
  private volatile int status = 200;

  /** Records the handler's mesh context and answers with {@link #status}. */
  private final HttpServlet servlet =
      new HttpServlet() {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) {
          seen.add(MeshContext.current());
          if (req.getRequestURI().startsWith("/async")) {
            AsyncContext async = req.startAsync();
            timer.schedule(
                () -> {
                  ((HttpServletResponse) async.getResponse()).setStatus(202);
                  async.complete();
                },
                20,
                TimeUnit.MILLISECONDS);
            return;
          }
          if (req.getRequestURI().startsWith("/boom")) {
            throw new IllegalStateException("boom");
          }
          resp.setStatus(status);
        }
      };

  private URI start(Filter... before) throws Exception {
    return start(mesh, before);
  }

  private URI start(Mesh mesh, Filter... before) throws Exception {
    server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    for (Filter f : before) {
      context.addFilter(new FilterHolder(f), "/*", EnumSet.of(DispatcherType.REQUEST));
    }
    context.addFilter(
        new FilterHolder(new MeshServletFilter(mesh)), "/*", EnumSet.of(DispatcherType.REQUEST));
    ServletHolder holder = new ServletHolder(servlet);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/*");
    server.setHandler(context);
    server.start();
    return URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.stop();
    }
    timer.shutdownNow();
    mesh.close();
  }

  private int get(URI base, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void theTimeoutHeaderBecomesTheHandlersDeadline() throws Exception {
    URI base = start();

    get(base, "/books/1", "meshwork-timeout", "100m");

    MeshContext ctx = seen.poll();
    assertThat(ctx.deadline().remainingNanos()).isBetween(1L, 100_000_000L);
    assertThat(ctx.get(InboundCall.CONTEXT_KEY).path()).isEqualTo("/books/1");
  }

  @Test
  void aRequestTheAccessPolicyDeniesGets403WithTheReasonAndNeverReachesTheHandler()
      throws Exception {
    Mesh closed = Mesh.builder().listener(events).defaultAccess(AccessRule.Action.DENY).build();
    URI base = start(closed);

    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(base.resolve("/books/1?x=1")).build(),
            HttpResponse.BodyHandlers.ofString());

    String reason =
        "this server has no workload identity, so no access rule names it; default deny";
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body()).isEqualTo("access denied: " + reason + "\n");
    assertThat(seen).isEmpty();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.inbound().size() == 1);
    assertThat(events.events())
        .containsExactly(
            "inboundStarted GET /books/1",
            "accessDenied GET /books/1 " + reason,
            "inboundEnded GET /books/1 SUCCESS 403");
    closed.close();
  }

  @Test
  void theHandlerRunsInTheContextThePropagatorsExtracted() throws Exception {
    URI base = start();

    get(base, "/books/1", "X-Tenant", "acme");

    assertThat(seen.poll().get(TENANT)).isEqualTo("acme");
  }

  @Test
  void aRequestWithoutOrWithAMalformedHeaderHasNoDeadline() throws Exception {
    URI base = start();

    get(base, "/books/1");
    get(base, "/books/1", "meshwork-timeout", "later");

    assertThat(seen).hasSize(2).allMatch(c -> c.deadline() == null);
  }

  @Test
  void everyRequestIsReportedOnceWithItsStatusAndClassification() throws Exception {
    URI base = start();

    get(base, "/ok");
    status = 503;
    get(base, "/busy");

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.inbound().size() == 2);
    assertThat(events.events())
        .containsExactly(
            "inboundStarted GET /ok",
            "inboundEnded GET /ok SUCCESS 200",
            "inboundStarted GET /busy",
            "inboundEnded GET /busy RETRYABLE_FAILURE 503");
  }

  @Test
  void anAsyncRequestEndsWhenItsAsyncCycleCompletes() throws Exception {
    URI base = start();

    assertThat(get(base, "/async")).isEqualTo(202);

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.inbound().size() == 1);
    InboundCall ended = events.inbound().get(0);
    assertThat(ended.httpStatus()).isEqualTo(202);
    assertThat(ended.latencyNanos()).isGreaterThanOrEqualTo(20_000_000L);
  }

  @Test
  void aHandlerExceptionEndsTheCallWithTheError() throws Exception {
    URI base = start();

    assertThat(get(base, "/boom")).isEqualTo(500);

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.inbound().size() == 1);
    InboundCall ended = events.inbound().get(0);
    assertThat(ended.error()).hasMessage("boom");
    assertThat(ended.result()).isEqualTo(ResponseClass.FAILURE);
  }

  @Test
  void thePeersSpiffeIdFromItsClientCertificateIsInTheContext() throws Exception {
    X509Certificate cert = certificateFor("spiffe://cluster.local/ns/shop/sa/cart");
    // Stands in for the container's TLS connector, which sets this attribute for mTLS requests.
    Filter tls =
        (req, res, chain) -> {
          req.setAttribute(MeshServletFilter.CLIENT_CERTIFICATES, new X509Certificate[] {cert});
          chain.doFilter(req, res);
        };
    URI base = start(tls);

    get(base, "/books/1");

    SpiffeId cart = SpiffeId.parse("spiffe://cluster.local/ns/shop/sa/cart");
    assertThat(seen.poll().get(MeshContext.PEER_IDENTITY)).isEqualTo(cart);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> events.inbound().size() == 1);
    assertThat(events.inbound().get(0).peer()).isEqualTo(cart);
  }

  private static X509Certificate certificateFor(String spiffeId) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair keys = g.generateKeyPair();
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name("CN=cart"),
            BigInteger.ONE,
            Date.from(now.minusSeconds(60)),
            Date.from(now.plusSeconds(3600)),
            new X500Name("CN=cart"),
            keys.getPublic());
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
  }
}
