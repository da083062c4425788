package dev.meshwork.benchmarks;

import dev.meshwork.Mesh;
import dev.meshwork.micrometer.MeshMetrics;
import dev.meshwork.otel.MeshTracing;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/**
 * Metrics and tracing as an application would run them: {@link MeshMetrics} into a Prometheus
 * registry, and {@link MeshTracing} through the OpenTelemetry SDK with a batch span processor
 * (whose exporter discards), sampling every trace or none; either may be left out.
 */
final class Observability implements AutoCloseable {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final SdkTracerProvider tracerProvider;
  private final @Nullable MeshMetrics metrics;
  private final @Nullable MeshTracing tracing;
  private final OpenTelemetrySdk openTelemetry;

  /**
   * @param metrics whether to add golden metrics
   * @param sampler the sampler of the tracing, or null for no tracing
   */
  Observability(boolean metrics, @Nullable Sampler sampler) {
    this.metrics =
        metrics
            ? MeshMetrics.builder(registry).namespace("bench").deployment("client").build()
            : null;
    tracerProvider =
        SdkTracerProvider.builder()
            .setSampler(sampler == null ? Sampler.alwaysOff() : sampler)
            .addSpanProcessor(BatchSpanProcessor.builder(new Discarding()).build())
            .build();
    openTelemetry =
        OpenTelemetrySdk.builder()
            .setTracerProvider(tracerProvider)
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    tracing = sampler == null ? null : MeshTracing.create(openTelemetry);
  }

  /** The set-up a benchmark arm names, or null for a plain mesh. */
  static @Nullable Observability forArm(String arm) {
    switch (arm) {
      case "MESH_METRICS":
        return new Observability(true, null);
      case "RAW_TRACED":
      case "MESH_TRACED":
        return new Observability(false, Sampler.alwaysOn());
      case "MESH_OBSERVED":
        return new Observability(true, Sampler.alwaysOn());
      case "MESH_OBSERVED_UNSAMPLED":
        return new Observability(true, Sampler.alwaysOff());
      default:
        return null;
    }
  }

  /** The minimal OkHttp tracing of the RAW_TRACED arm, on this set-up's SDK. */
  MinimalOkHttpTracing minimalTracing() {
    return new MinimalOkHttpTracing(openTelemetry);
  }

  /** Adds the metrics and tracing to {@code builder}. */
  Mesh.Builder install(Mesh.Builder builder) {
    Mesh.Builder b = metrics == null ? builder : builder.listener(metrics);
    return tracing == null ? b : tracing.install(b);
  }

  void bindTo(Mesh mesh) {
    if (metrics != null) {
      metrics.bindTo(mesh);
    }
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
