package dev.meshwork.resilience;

import dev.meshwork.Attempt;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshContext;
import dev.meshwork.Propagator;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Carries each attempt's number across the wire in the {@value #HEADER} header ({@code 1} for a
 * first attempt, {@code 2} and up for retries and hedged backups), and reads it from inbound
 * requests into {@link MeshContext#UPSTREAM_ATTEMPT}. With it registered on both sides, a service
 * serving an upstream's retry makes its own calls without retrying them ({@link
 * dev.meshwork.Mesh.Builder#deferRetriesToUpstream}, on by default): the upstream is already
 * retrying, and retries at every hop multiply. The rule is deliberately simple: a request that is a
 * retry gets one attempt downstream; a first attempt may still be retried downstream (within the
 * downstream's budget), so a failure deep in the graph is retried close to where it happened.
 *
 * <p>Stateless and thread-safe; one shared instance.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().propagator(AttemptCounter.propagator()).build();
 * }</pre>
 */
public final class AttemptCounter implements Propagator {

  /** The header carrying the attempt number. */
  public static final String HEADER = "meshwork-attempt";

  private static final AttemptCounter INSTANCE = new AttemptCounter();
  private static final String[] SMALL = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

  private AttemptCounter() {}

  public static AttemptCounter propagator() {
    return INSTANCE;
  }

  @Override
  public void inject(MeshCall call, Attempt attempt, BiConsumer<String, String> headers) {
    int n = attempt.number();
    headers.accept(HEADER, n < SMALL.length ? SMALL[n] : Integer.toString(n));
  }

  @Override
  public MeshContext extract(MeshContext context, Function<String, @Nullable String> headers) {
    String value = headers.apply(HEADER);
    if (value == null) {
      return context;
    }
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return context; // a malformed header says nothing
    }
    return n >= 1 ? context.with(MeshContext.UPSTREAM_ATTEMPT, n) : context;
  }

  @Override
  public String toString() {
    return "AttemptCounter";
  }
}
