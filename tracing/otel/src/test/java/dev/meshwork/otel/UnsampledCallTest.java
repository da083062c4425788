package dev.meshwork.otel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshRequest;
import dev.meshwork.testing.InMemorySource;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A call the sampler drops records nothing and starts no attempt spans, yet its trace context still
 * goes out, so the next hop stays in the same (unsampled) trace.
 */
class UnsampledCallTest {

  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final SdkTracerProvider provider =
      SdkTracerProvider.builder()
          .setSampler(Sampler.alwaysOff())
          .addSpanProcessor(SimpleSpanProcessor.create(exporter))
          .build();
  private final OpenTelemetrySdk otel =
      OpenTelemetrySdk.builder()
          .setTracerProvider(provider)
          .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
          .build();
  private final InMemorySource source = new InMemorySource();
  private final Mesh mesh = MeshTracing.create(otel).install(Mesh.builder().source(source)).build();

  @AfterEach
  void close() {
    mesh.close();
    provider.close();
  }

  private static final MeshRequest GET =
      new MeshRequest() {
        @Override
        public String method() {
          return "GET";
        }

        @Override
        public String path() {
          return "/";
        }

        @Override
        public @Nullable String header(String lowerCaseName) {
          return null;
        }
      };

  @Test
  void anUnsampledCallPropagatesItsOwnContextAndRecordsNothing() {
    source.endpoints("reviews", Endpoint.of("10.0.0.1", 8080));

    MeshCall call = mesh.newCall("reviews", GET);
    Attempt first = call.startAttempt();
    Map<String, String> headers = new HashMap<>();
    mesh.inject(call, first, headers::put);
    call.completeHttp(first, 503);
    Attempt retry = call.startAttempt();
    Map<String, String> retryHeaders = new HashMap<>();
    mesh.inject(call, retry, retryHeaders::put);
    call.completeHttp(retry, 200);

    assertThat(provider.forceFlush().join(5, java.util.concurrent.TimeUnit.SECONDS).isSuccess())
        .isTrue();
    assertThat(exporter.getFinishedSpanItems()).isEmpty();
    // version-traceId-spanId-flags; the flags' lowest bit (sampled) is clear. Both attempts carry
    // the call's span.
    assertThat(headers.get("traceparent"))
        .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f][02468ace]");
    assertThat(retryHeaders).isEqualTo(headers);
    assertThat(Span.current().getSpanContext().isValid()).isFalse();
  }
}
