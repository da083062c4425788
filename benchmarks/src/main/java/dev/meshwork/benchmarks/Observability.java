package dev.meshwork.benchmarks;

import dev.meshwork.Mesh;
import dev.meshwork.micrometer.MeshMetrics;
import dev.meshwork.otel.MeshTracing;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;

/**
 * Metrics and tracing as an application would run them: {@link MeshMetrics} into a Prometheus
 * registry, {@link MeshTracing} through the OpenTelemetry SDK with a batch span processor (whose
 * exporter discards), sampling every trace or none.
 */
final class Observability implements AutoCloseable {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final SdkTracerProvider tracerProvider;
  private final MeshMetrics metrics =
      MeshMetrics.builder(registry).namespace("bench").deployment("client").build();
  private final MeshTracing tracing;

  Observability(boolean sampled) {
    tracerProvider =
        SdkTracerProvider.builder()
            .setSampler(sampled ? Sampler.alwaysOn() : Sampler.alwaysOff())
            .addSpanProcessor(BatchSpanProcessor.builder(new Discarding()).build())
            .build();
    tracing =
        MeshTracing.create(OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build());
  }

  /** Adds metrics and tracing to {@code builder}. */
  Mesh.Builder install(Mesh.Builder builder) {
    return tracing.install(builder.listener(metrics));
  }

  void bindTo(Mesh mesh) {
    metrics.bindTo(mesh);
  }

  @Override
  public void close() {
    tracerProvider.close();
    registry.close();
  }

  private static final class Discarding implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
