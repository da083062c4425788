package dev.meshwork.otel;

import dev.meshwork.Attempt;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshContext;
import dev.meshwork.MeshListener;
import dev.meshwork.Propagator;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Distributed tracing for the mesh with OpenTelemetry. Registered as the mesh's listener and
 * propagator (see {@link #install}), it makes
 *
 * <ul>
 *   <li>one {@link SpanKind#CLIENT CLIENT} span per logical call, a child of the span current when
 *       the call starts (the inbound request's server span, inside a handler);
 *   <li>one CLIENT span per attempt, a child of the call's span, with the endpoint ({@code
 *       server.address}, {@code server.port}), backend, attempt number ({@code meshwork.attempt},
 *       {@code http.request.resend_count} for retries) and the mesh's classification;
 *   <li>a {@link SpanKind#SERVER SERVER} span per inbound request (servlet filter, gRPC server
 *       interceptor), a child of the caller's attempt span read from the request's headers; its
 *       context is current while the handler runs, so the handler's calls are its children;
 *   <li>W3C {@code traceparent} / {@code tracestate} headers on every attempt, each carrying its
 *       own attempt span, so the server's span is the child of the attempt that reached it.
 * </ul>
 *
 * <p>Attempt spans are CLIENT spans, not INTERNAL: each is one request on the wire, which is what
 * the HTTP semantic conventions make a CLIENT span (every resend its own), and the span a server's
 * SERVER span must hang from for service graphs (Tempo, Jaeger) to pair the two. The logical call's
 * span is CLIENT too and carries the call's overall outcome (attempts, decision).
 *
 * <p>Spans use the HTTP and RPC semantic conventions; an attempt learns that it was gRPC from its
 * status, and its span is then renamed to the RPC's {@code package.Service/Method} with {@code
 * rpc.*} attributes. Error status follows the mesh's single classification, so spans, metrics,
 * retries and breakers agree about what failed: a 4xx is the caller's mistake, not a failed span.
 *
 * <p>Headers go out in the format of the {@link OpenTelemetry} instance's propagators, or W3C trace
 * context when it has none. The default {@link OpenTelemetry#noop()} records nothing but still
 * passes an incoming trace context through. Instrumentation never throws into the request.
 * Thread-safe; one instance per mesh.
 *
 * <pre>{@code
 * MeshTracing tracing = MeshTracing.create(openTelemetry);
 * Mesh mesh = tracing.install(Mesh.builder().source(source)).build();
 * }</pre>
 */
public final class MeshTracing implements MeshListener, Propagator {

  /** The instrumentation scope of every span. */
  public static final String INSTRUMENTATION_NAME = "dev.meshwork";

  private static final MeshContext.Key<CallSpans> CALL_SPANS =
      MeshContext.Key.named("meshwork.otel.call-spans");
  private static final MeshContext.Key<Span> SERVER_SPAN =
      MeshContext.Key.named("meshwork.otel.server-span");

  /** Where the OpenTelemetry context of an inbound request lives in its {@link MeshContext}. */
  static final MeshContext.Key<OtelContextBinding> OTEL_CONTEXT =
      MeshContext.Key.named("meshwork.otel.context");

  private static final TextMapSetter<BiConsumer<String, String>> SETTER =
      (carrier, key, value) -> {
        if (carrier != null) {
          carrier.accept(key, value);
        }
      };

  private static final TextMapGetter<Function<String, @Nullable String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, @Nullable String> carrier) {
          return List.of(); // lookups by name only; the W3C propagators never list keys
        }

        @Override
        public @Nullable String get(
            @Nullable Function<String, @Nullable String> carrier, String key) {
          return carrier == null ? null : carrier.apply(lowerCase(key));
        }
      };

  private final Tracer tracer;
  private final TextMapPropagator propagator;

  private MeshTracing(Tracer tracer, TextMapPropagator propagator) {
    this.tracer = tracer;
    this.propagator = propagator;
  }

  /**
   * Tracing through {@code openTelemetry}'s tracer, with its propagators, or W3C trace context when
   * it has none.
   */
  public static MeshTracing create(OpenTelemetry openTelemetry) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    TextMapPropagator configured = openTelemetry.getPropagators().getTextMapPropagator();
    return create(
        openTelemetry,
        configured.fields().isEmpty() ? W3CTraceContextPropagator.getInstance() : configured);
  }

  /** Tracing through {@code openTelemetry}'s tracer, with {@code propagator} on the wire. */
  public static MeshTracing create(OpenTelemetry openTelemetry, TextMapPropagator propagator) {
    Objects.requireNonNull(openTelemetry, "openTelemetry");
    Objects.requireNonNull(propagator, "propagator");
    return new MeshTracing(openTelemetry.getTracer(INSTRUMENTATION_NAME), propagator);
  }

  /** Registers this as {@code builder}'s listener and propagator; returns {@code builder}. */
  public Mesh.Builder install(Mesh.Builder builder) {
    return builder.listener(this).propagator(this);
  }

  // ---- outbound ---------------------------------------------------------------------------

  @Override
  public void callStarted(MeshCall call) {
    Context parent = Context.current();
    SpanBuilder b =
        tracer
            .spanBuilder(SpanConventions.clientSpanName(call.request()))
            .setParent(parent)
            .setSpanKind(SpanKind.CLIENT);
    SpanConventions.describeCall(b, call);
    Span span = b.startSpan();
    SpanConventions.detailCall(span, call);
    call.attach(CALL_SPANS, new CallSpans(span, parent.with(span)));
  }

  @Override
  public void attemptStarted(MeshCall call, Attempt attempt) {
    CallSpans spans = call.attachment(CALL_SPANS);
    if (spans == null || !spans.span.getSpanContext().isSampled()) {
      // An unsampled call's attempts would be dropped by a parent-based sampler anyway; its own
      // span context goes out on the wire instead (see inject), which costs no span per attempt.
      return;
    }
    SpanBuilder b =
        tracer
            .spanBuilder(SpanConventions.clientSpanName(call.request()))
            .setParent(spans.context)
            .setSpanKind(SpanKind.CLIENT);
    SpanConventions.describeAttempt(b, call, attempt);
    Span span = b.startSpan();
    SpanConventions.detailAttempt(span, call, attempt);
    spans.started(attempt.number(), span, spans.context.with(span));
  }

  @Override
  public void attemptEnded(MeshCall call, Attempt attempt) {
    CallSpans spans = call.attachment(CALL_SPANS);
    Span span = spans == null ? null : spans.attempt(attempt.number());
    if (span != null) {
      SpanConventions.endAttempt(span, call, attempt);
    }
  }

  @Override
  public void callEnded(MeshCall call) {
    CallSpans spans = call.attachment(CALL_SPANS);
    if (spans != null) {
      SpanConventions.endCall(spans.span, call);
    }
  }

  /** Writes the attempt's own span context, so the server's span becomes the attempt's child. */
  @Override
  public void inject(MeshCall call, Attempt attempt, BiConsumer<String, String> headers) {
    CallSpans spans = call.attachment(CALL_SPANS);
    Context context = spans == null ? Context.current() : spans.attemptContext(attempt.number());
    propagator.inject(context, headers, SETTER);
  }

  // ---- inbound ----------------------------------------------------------------------------

  /**
   * Reads the caller's trace context, starts the request's SERVER span under it (when the inbound
   * adapter put an {@link InboundCall} in {@code context}), and returns {@code context} carrying
   * the resulting OpenTelemetry context, which becomes current with it.
   */
  @Override
  public MeshContext extract(MeshContext context, Function<String, @Nullable String> headers) {
    Context remote = propagator.extract(Context.root(), headers, GETTER);
    InboundCall inbound = context.get(InboundCall.CONTEXT_KEY);
    if (inbound == null) {
      return context.with(OTEL_CONTEXT, new OtelContextBinding(remote));
    }
    SpanBuilder b =
        tracer
            .spanBuilder(SpanConventions.serverSpanName(inbound))
            .setParent(remote)
            .setSpanKind(SpanKind.SERVER);
    SpanConventions.describeInbound(b, inbound);
    Span span = b.startSpan();
    inbound.attach(SERVER_SPAN, span);
    return context.with(OTEL_CONTEXT, new OtelContextBinding(remote.with(span)));
  }

  @Override
  public void inboundEnded(InboundCall call) {
    Span span = call.attachment(SERVER_SPAN);
    if (span != null) {
      SpanConventions.endInbound(span, call);
    }
  }

  /**
   * The OpenTelemetry context of the inbound request {@code context} belongs to (its server span),
   * or null when it came through no inbound adapter with tracing. Useful to parent work that runs
   * outside the mesh context; {@link MeshContext#wrap} already carries it.
   */
  public static @Nullable Context otelContext(MeshContext context) {
    OtelContextBinding binding = context.get(OTEL_CONTEXT);
    return binding == null ? null : binding.context;
  }

  private static String lowerCase(String key) {
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        return key.toLowerCase(Locale.ROOT);
      }
    }
    return key;
  }

  @Override
  public String toString() {
    return "MeshTracing{" + propagator + "}";
  }
}
