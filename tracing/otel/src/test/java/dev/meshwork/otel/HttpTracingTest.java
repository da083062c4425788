package dev.meshwork.otel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshConfig;
import dev.meshwork.ServiceConfig;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Spans and W3C trace context over real HTTP servers (Jetty with the mesh's filter) on loopback.
 */
class HttpTracingTest {

  private final Traces traces = new Traces();
  private final LoopbackServers servers = new LoopbackServers();
  private final InMemorySource source = new InMemorySource();
  // Time stands still: retry backoff is instant.
  private final FakeTicker ticker = new FakeTicker();
  private final Mesh mesh =
      MeshTracing.create(traces.openTelemetry)
          .install(Mesh.builder().source(source).ticker(ticker))
          .build();
  private final OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();

  /** What the servers saw: each request's traceparent and the span current in the handler. */
  private final ConcurrentLinkedQueue<String> traceparents = new ConcurrentLinkedQueue<>();

  private final ConcurrentLinkedQueue<SpanContext> handlerSpans = new ConcurrentLinkedQueue<>();

  @AfterEach
  void tearDown() throws Exception {
    servers.close();
    mesh.close();
    traces.close();
  }

  /** Answers {@code statuses} in turn (the last one from then on), recording what it saw. */
  private HttpServlet answering(int... statuses) {
    AtomicInteger n = new AtomicInteger();
    return new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) {
        traceparents.add(String.valueOf(req.getHeader("traceparent")));
        handlerSpans.add(Span.current().getSpanContext());
        resp.setStatus(statuses[Math.min(n.getAndIncrement(), statuses.length - 1)]);
      }
    };
  }

  /** Calls {@code http://b/back} through the mesh and answers with what it got. */
  private HttpServlet callingB() {
    return new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        handlerSpans.add(Span.current().getSpanContext());
        resp.setStatus(get("http://b/back"));
      }
    };
  }

  private int get(String url) throws IOException {
    try (Response r = client.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.code();
    }
  }

  private void endpoints(String service, Endpoint endpoint) {
    source.endpoints(service, endpoint);
  }

  private static <T> @Nullable T attr(SpanData span, AttributeKey<T> key) {
    return span.getAttributes().get(key);
  }

  @Test
  void aCallWithOneRetryMakesOneClientSpanWithTwoAttemptChildren() throws Exception {
    Endpoint b = servers.start(mesh, answering(503, 200));
    endpoints("b", b);

    assertThat(get("http://b/back")).isEqualTo(200);

    List<SpanData> spans = traces.awaitSpans(5); // call + 2 attempts + 2 server spans
    List<SpanData> roots = Traces.roots(spans);
    assertThat(roots).hasSize(1);
    SpanData call = roots.get(0);
    assertThat(call.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(call.getName()).isEqualTo("GET");
    assertThat(attr(call, SpanConventions.SERVICE)).isEqualTo("b.default");
    assertThat(attr(call, SpanConventions.ROUTE)).isEqualTo("default");
    assertThat(attr(call, SpanConventions.BACKEND)).isEqualTo("b.default");
    assertThat(attr(call, SpanConventions.ATTEMPTS)).isEqualTo(2L);
    assertThat(attr(call, SpanConventions.DECISION)).isEqualTo("complete");
    assertThat(attr(call, HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
    assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

    List<SpanData> attempts = Traces.childrenOf(spans, call);
    assertThat(attempts).hasSize(2).allMatch(s -> s.getKind() == SpanKind.CLIENT);
    SpanData first = attempts.get(0);
    SpanData retry = attempts.get(1);
    assertThat(attr(first, SpanConventions.ATTEMPT)).isEqualTo(1L);
    assertThat(attr(first, HttpAttributes.HTTP_REQUEST_RESEND_COUNT)).isNull();
    assertThat(attr(first, HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(503L);
    assertThat(attr(first, SpanConventions.CLASSIFICATION)).isEqualTo("retryable_failure");
    assertThat(attr(first, ErrorAttributes.ERROR_TYPE)).isEqualTo("503");
    assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(attr(retry, SpanConventions.ATTEMPT)).isEqualTo(2L);
    assertThat(attr(retry, HttpAttributes.HTTP_REQUEST_RESEND_COUNT)).isEqualTo(1L);
    assertThat(attr(retry, SpanConventions.CLASSIFICATION)).isEqualTo("success");
    assertThat(retry.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    for (SpanData attempt : attempts) {
      assertThat(attr(attempt, ServerAttributes.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
      assertThat(attr(attempt, ServerAttributes.SERVER_PORT)).isEqualTo((long) b.port());
      assertThat(attr(attempt, SpanConventions.BACKEND)).isEqualTo("b.default");
      assertThat(attr(attempt, SpanConventions.ENDPOINT)).isEqualTo(b.authority());
    }

    // Each attempt carried its own span in traceparent: the server span of each is its child.
    // (The flags after the span id say "sampled" and, since W3C level 2, "random trace id".)
    assertThat(traceparents)
        .extracting(t -> t.substring(0, 52))
        .containsExactly(
            "00-" + call.getTraceId() + "-" + first.getSpanId(),
            "00-" + call.getTraceId() + "-" + retry.getSpanId());
    assertThat(Traces.childrenOf(spans, first))
        .singleElement()
        .satisfies(s -> assertThat(s.getKind()).isEqualTo(SpanKind.SERVER));
    assertThat(Traces.childrenOf(spans, retry)).hasSize(1);
  }

  @Test
  void aTwoHopCallIsOneTraceWithEachServerSpanUnderTheAttemptThatReachedIt() throws Exception {
    Endpoint b = servers.start(mesh, answering(503, 200));
    Endpoint a = servers.start(mesh, callingB());
    endpoints("a", a);
    endpoints("b", b);

    assertThat(get("http://a/front")).isEqualTo(200);

    // test → A: call + attempt; A: server span, call to B + 2 attempts; B: 2 server spans.
    List<SpanData> spans = traces.awaitSpans(8);
    assertThat(spans).extracting(SpanData::getTraceId).containsOnly(spans.get(0).getTraceId());
    SpanData callA = Traces.roots(spans).get(0);
    SpanData attemptA = Traces.childrenOf(spans, callA).get(0);
    SpanData serverA = Traces.childrenOf(spans, attemptA).get(0);
    assertThat(serverA.getKind()).isEqualTo(SpanKind.SERVER);
    assertThat(attr(serverA, UrlAttributes.URL_PATH)).isEqualTo("/front");
    assertThat(attr(serverA, HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(200L);
    // A's handler ran with its server span current, so its call to B is that span's child.
    assertThat(handlerSpans.peek()).isEqualTo(serverA.getSpanContext());
    SpanData callB = Traces.childrenOf(spans, serverA).get(0);
    assertThat(callB.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(attr(callB, SpanConventions.SERVICE)).isEqualTo("b.default");
    List<SpanData> attemptsB = Traces.childrenOf(spans, callB);
    assertThat(attemptsB).hasSize(2);
    for (SpanData attempt : attemptsB) {
      SpanData serverB = Traces.childrenOf(spans, attempt).get(0);
      assertThat(serverB.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(attr(serverB, UrlAttributes.URL_PATH)).isEqualTo("/back");
    }
    SpanData failedB = Traces.childrenOf(spans, attemptsB.get(0)).get(0);
    assertThat(attr(failedB, HttpAttributes.HTTP_RESPONSE_STATUS_CODE)).isEqualTo(503L);
    assertThat(failedB.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
  }

  @Test
  void aCallThatFindsNoEndpointsEndsItsSpanWithTheMeshsError() {
    source.config(MeshConfig.builder().service(ServiceConfig.builder("b").build()).build());

    assertThatThrownBy(() -> get("http://b/back")).isInstanceOf(IOException.class);

    SpanData call = traces.awaitSpans(1).get(0);
    assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(call.getStatus().getDescription())
        .isEqualTo("no healthy endpoints for b.default (0 known)");
    assertThat(attr(call, ErrorAttributes.ERROR_TYPE))
        .isEqualTo("dev.meshwork.NoHealthyEndpointsException");
    assertThat(attr(call, SpanConventions.ATTEMPTS)).isZero();
  }

  @Test
  void withTheNoopApiTheCallersTraceContextStillPassesThrough() throws Exception {
    Mesh untraced =
        MeshTracing.create(OpenTelemetry.noop())
            .install(Mesh.builder().source(source).ticker(ticker))
            .build();
    OkHttpClient untracedClient = MeshOkHttp.install(new OkHttpClient.Builder(), untraced).build();
    HttpServlet forwarding =
        new HttpServlet() {
          @Override
          protected void service(HttpServletRequest req, HttpServletResponse resp)
              throws IOException {
            try (Response r =
                untracedClient
                    .newCall(new Request.Builder().url("http://b/back").build())
                    .execute()) {
              resp.setStatus(r.code());
            }
          }
        };
    try {
      endpoints("b", servers.start(untraced, answering(200)));
      Endpoint a = servers.start(untraced, forwarding);
      String incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      OkHttpClient plain = new OkHttpClient();
      try (Response r =
          plain
              .newCall(
                  new Request.Builder()
                      .url("http://" + a.authority() + "/front")
                      .header("traceparent", incoming)
                      .build())
              .execute()) {
        assertThat(r.code()).isEqualTo(200);
      }

      assertThat(traceparents).containsExactly(incoming);
      assertThat(traces.exporter.getFinishedSpanItems()).isEmpty();
    } finally {
      untraced.close();
    }
  }

  @Test
  void aPropagatorThatThrowsNeverFailsTheRequest() throws Exception {
    TextMapPropagator broken =
        new TextMapPropagator() {
          @Override
          public Collection<String> fields() {
            return List.of("traceparent");
          }

          @Override
          public <C> void inject(
              io.opentelemetry.context.Context context,
              @Nullable C carrier,
              TextMapSetter<C> setter) {
            throw new IllegalStateException("broken propagator");
          }

          @Override
          public <C> io.opentelemetry.context.Context extract(
              io.opentelemetry.context.Context context,
              @Nullable C carrier,
              io.opentelemetry.context.propagation.TextMapGetter<C> getter) {
            throw new IllegalStateException("broken propagator");
          }
        };
    Mesh brokenMesh =
        MeshTracing.create(traces.openTelemetry, broken)
            .install(Mesh.builder().source(source).ticker(ticker))
            .build();
    try {
      endpoints("b", servers.start(brokenMesh, answering(200)));
      OkHttpClient brokenClient =
          MeshOkHttp.install(new OkHttpClient.Builder(), brokenMesh).build();
      try (Response r =
          brokenClient.newCall(new Request.Builder().url("http://b/x").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
      assertThat(traceparents).containsExactly("null");
    } finally {
      brokenMesh.close();
    }
  }
}
