package dev.meshwork.otel;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;

/** The OpenTelemetry SDK with an in-memory exporter, and ways to read the tree it recorded. */
final class Traces implements AutoCloseable {

  final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final SdkTracerProvider provider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
  final OpenTelemetry openTelemetry =
      OpenTelemetrySdk.builder().setTracerProvider(provider).build();

  /** Waits (bounded) until {@code n} spans have ended; servers end theirs after answering. */
  List<SpanData> awaitSpans(int n) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> exporter.getFinishedSpanItems().size() >= n);
    List<SpanData> spans = exporter.getFinishedSpanItems();
    if (spans.size() != n) {
      throw new AssertionError("expected " + n + " spans, got " + describe(spans));
    }
    return spans;
  }

  static List<SpanData> childrenOf(List<SpanData> spans, SpanData parent) {
    return spans.stream()
        .filter(s -> s.getParentSpanId().equals(parent.getSpanId()))
        .sorted((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos()))
        .collect(Collectors.toList());
  }

  static List<SpanData> roots(List<SpanData> spans) {
    return spans.stream()
        .filter(s -> s.getParentSpanId().equals(SpanId.getInvalid()))
        .collect(Collectors.toList());
  }

  static List<SpanData> ofKind(List<SpanData> spans, SpanKind kind) {
    return spans.stream().filter(s -> s.getKind() == kind).collect(Collectors.toList());
  }

  static String describe(List<SpanData> spans) {
    return spans.stream()
        .map(
            s -> s.getKind() + " " + s.getName() + " " + s.getSpanId() + "<-" + s.getParentSpanId())
        .collect(Collectors.joining("\n  ", "[\n  ", "]"));
  }

  @Override
  public void close() {
    provider.close();
  }
}
