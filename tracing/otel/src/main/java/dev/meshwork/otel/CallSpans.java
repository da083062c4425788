package dev.meshwork.otel;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The spans of one logical call: the call's CLIENT span and one span per attempt, indexed by the
 * attempt's number, so concurrent attempts (a hedge) each keep their own. Owned by its call, which
 * is driven by one thread at a time.
 */
final class CallSpans {

  final Span span;
  final Context context;
  private static final Span[] NO_SPANS = new Span[0];
  private static final Context[] NO_CONTEXTS = new Context[0];

  private Span[] attempts = NO_SPANS; // grown at the first attempt span: unsampled calls have none
  private Context[] attemptContexts = NO_CONTEXTS;

  CallSpans(Span span, Context context) {
    this.span = span;
    this.context = context;
  }

  void started(int attempt, Span s, Context c) {
    int i = attempt - 1;
    if (i >= attempts.length) {
      int n = Math.max(Math.max(attempts.length * 2, 2), attempt);
      attempts = Arrays.copyOf(attempts, n);
      attemptContexts = Arrays.copyOf(attemptContexts, n);
    }
    attempts[i] = s;
    attemptContexts[i] = c;
  }

  @Nullable Span attempt(int attempt) {
    int i = attempt - 1;
    return i >= 0 && i < attempts.length ? attempts[i] : null;
  }

  /**
   * The context an attempt's request carries on the wire; the call's when the attempt is unknown.
   */
  Context attemptContext(int attempt) {
    int i = attempt - 1;
    Context c = i >= 0 && i < attemptContexts.length ? attemptContexts[i] : null;
    return c == null ? context : c;
  }
}
