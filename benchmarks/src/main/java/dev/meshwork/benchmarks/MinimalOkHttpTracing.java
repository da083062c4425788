package dev.meshwork.benchmarks;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The least an OpenTelemetry tracing of an OkHttp call costs, as a yardstick for the mesh's: one
 * CLIENT span per request with the HTTP semantic conventions' required attributes, and W3C trace
 * context injected into the request. Not a product: a benchmark arm (RAW_TRACED) for comparison.
 */
final class MinimalOkHttpTracing implements Interceptor {

  private static final TextMapSetter<Request.Builder> SETTER =
      (builder, key, value) -> builder.header(key, value);

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  MinimalOkHttpTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("benchmark");
    this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Span span =
        tracer
            .spanBuilder(request.method())
            .setSpanKind(SpanKind.CLIENT)
            .setAttribute("http.request.method", request.method())
            .setAttribute("server.address", request.url().host())
            .setAttribute("server.port", (long) request.url().port())
            .setAttribute("url.full", request.url().toString())
            .startSpan();
    try {
      Request.Builder out = request.newBuilder();
      propagator.inject(Context.current().with(span), out, SETTER);
      Response response = chain.proceed(out.build());
      span.setAttribute("http.response.status_code", (long) response.code());
      if (response.code() >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      return response;
    } catch (IOException e) {
      span.setStatus(StatusCode.ERROR);
      throw e;
    } finally {
      span.end();
    }
  }
}
