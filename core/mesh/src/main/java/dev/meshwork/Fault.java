package dev.meshwork;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Faults injected on purpose, for chaos testing: a share of attempts is delayed before it is sent,
 * and a share is aborted with an HTTP status (or gRPC status) without being sent at all, as Istio's
 * {@code VirtualService} {@code fault.delay} / {@code fault.abort} do. Set one on a {@link Route}
 * ({@link Route.Builder#fault}), or, when the mesh allows it ({@link Mesh.Builder#faultHeader}),
 * per request with the {@value #HEADER} header: {@code abort=503;percentage=10}, {@code
 * delay=100ms;percentage=50}, {@code abort=UNAVAILABLE}.
 *
 * <p>Each attempt draws on its own, after its endpoint was chosen and before it is sent. An aborted
 * attempt is classified like a real response with that status (metrics and spans see it) but it
 * tells nothing about the endpoint, so it does not feed the endpoint's latency estimate, gate or
 * the concurrency limit; and it is not retried unless {@link Builder#retried(boolean)} says so, so
 * that retries do not hide the fault being tested. An injected delay counts towards the call's
 * deadline.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * Route chaos = Route.builder()
 *     .backends(Backend.of("ratings", 1))
 *     .fault(Fault.builder().abort(503, 10).delay(Duration.ofMillis(200), 5).build())
 *     .build();
 * }</pre>
 */
public final class Fault {

  /** The request header carrying a per-request fault, when the mesh allows it. */
  public static final String HEADER = "meshwork-fault";

  private final double delayPercent;
  private final long delayNanos;
  private final double abortPercent;
  private final int httpStatus;
  private final int grpcCode;
  private final boolean retried;

  private Fault(Builder b) {
    this.delayPercent = b.delayPercent;
    this.delayNanos = b.delayNanos;
    this.abortPercent = b.abortPercent;
    this.httpStatus = b.httpStatus;
    this.grpcCode = b.grpcCode;
    this.retried = b.retried;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Parses the {@value #HEADER} syntax: {@code ;}-separated {@code key=value} pairs, {@code
   * abort=<HTTP status | gRPC code name>}, {@code delay=<n>(us|ms|s)}, {@code percentage=<0..100>}
   * (default 100, applying to both).
   *
   * @throws IllegalArgumentException naming the bad part and what was expected
   */
  public static Fault parse(String spec) {
    Builder b = builder();
    double percent = 100;
    Duration delay = null;
    String abort = null;
    for (String part : spec.split(";")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            HEADER + ": " + p + " (expected abort=..., delay=... or percentage=...)");
      }
      String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String value = p.substring(eq + 1).trim();
      switch (key) {
        case "abort":
          abort = value;
          break;
        case "delay":
          delay = parseDuration(value);
          break;
        case "percentage":
          try {
            percent = Double.parseDouble(value);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                HEADER + ": percentage=" + value + " (expected a number in 0..100)", e);
          }
          break;
        default:
          throw new IllegalArgumentException(
              HEADER + ": " + key + " (expected abort, delay or percentage)");
      }
    }
    if (delay == null && abort == null) {
      throw new IllegalArgumentException(HEADER + ": " + spec + " (expected abort= or delay=)");
    }
    if (delay != null) {
      b.delay(delay, percent);
    }
    if (abort != null) {
      if (!abort.isEmpty() && Character.isDigit(abort.charAt(0))) {
        try {
          b.abort(Integer.parseInt(abort), percent);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              HEADER + ": abort=" + abort + " (expected an HTTP status or a gRPC code name)", e);
        }
      } else {
        b.abortGrpc(grpcCodeNamed(abort), percent);
      }
    }
    return b.build();
  }

  private static Duration parseDuration(String value) {
    int i = 0;
    while (i < value.length() && Character.isDigit(value.charAt(i))) {
      i++;
    }
    String unit = value.substring(i);
    long n;
    try {
      n = Long.parseLong(value.substring(0, i));
    } catch (NumberFormatException e) {
      n = -1;
    }
    switch (unit) {
      case "us":
        return n < 0 ? badDuration(value) : Duration.ofNanos(n * 1000);
      case "ms":
        return n < 0 ? badDuration(value) : Duration.ofMillis(n);
      case "s":
        return n < 0 ? badDuration(value) : Duration.ofSeconds(n);
      default:
        return badDuration(value);
    }
  }

  private static Duration badDuration(String value) {
    throw new IllegalArgumentException(
        HEADER + ": delay=" + value + " (expected a duration such as 100ms, 2s or 500us)");
  }

  private static int grpcCodeNamed(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    for (int i = 1; i < Attempt.GRPC_CODES.length; i++) {
      if (Attempt.GRPC_CODES[i].equals(upper)) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        HEADER + ": abort=" + name + " (expected an HTTP status or a gRPC code name)");
  }

  /** Share of attempts delayed, 0..100. */
  public double delayPercent() {
    return delayPercent;
  }

  /** How long a delayed attempt waits before it is sent. */
  public Duration delay() {
    return Duration.ofNanos(delayNanos);
  }

  /** Share of attempts aborted, 0..100. */
  public double abortPercent() {
    return abortPercent;
  }

  /** The HTTP status an aborted HTTP attempt answers with. */
  public int abortHttpStatus() {
    return httpStatus;
  }

  /** The numeric gRPC status code an aborted RPC attempt closes with. */
  public int abortGrpcCode() {
    return grpcCode;
  }

  /** Whether an aborted attempt may be retried like a real failure (default false). */
  public boolean retried() {
    return retried;
  }

  /** Draws this attempt's delay in nanoseconds: 0 for none. */
  long drawDelay(RandomSource random) {
    return delayNanos > 0 && draw(delayPercent, random) ? delayNanos : 0;
  }

  /** Draws whether this attempt is aborted. */
  boolean drawAbort(RandomSource random) {
    return abortPercent > 0 && draw(abortPercent, random);
  }

  private static boolean draw(double percent, RandomSource random) {
    return percent >= 100 || random.nextDouble() * 100 < percent;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Fault)) {
      return false;
    }
    Fault f = (Fault) o;
    return delayPercent == f.delayPercent
        && delayNanos == f.delayNanos
        && abortPercent == f.abortPercent
        && httpStatus == f.httpStatus
        && grpcCode == f.grpcCode
        && retried == f.retried;
  }

  @Override
  public int hashCode() {
    return Objects.hash(delayPercent, delayNanos, abortPercent, httpStatus, grpcCode, retried);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("Fault{");
    if (delayPercent > 0) {
      s.append("delay ").append(delayNanos / 1_000_000).append("ms @").append(delayPercent);
      s.append('%');
    }
    if (abortPercent > 0) {
      s.append(delayPercent > 0 ? ", " : "").append("abort ").append(httpStatus);
      s.append('/').append(Attempt.GRPC_CODES[grpcCode]).append(" @").append(abortPercent);
      s.append('%');
    }
    return s.append(retried ? ", retried}" : "}").toString();
  }

  /** Not thread-safe. */
  public static final class Builder {
    private double delayPercent;
    private long delayNanos;
    private double abortPercent;
    private int httpStatus = 503;
    private int grpcCode = 14;
    private boolean retried;

    private Builder() {}

    /** Delays {@code percent} % of attempts by {@code delay} before sending them. */
    public Builder delay(Duration delay, double percent) {
      if (delay.isNegative() || delay.isZero()) {
        throw new IllegalArgumentException(
            "fault delay: " + delay + " (expected a positive duration)");
      }
      this.delayNanos = delay.toNanos();
      this.delayPercent = percent(percent, "delay");
      return this;
    }

    /**
     * Aborts {@code percent} % of attempts with HTTP {@code status}; RPCs get the gRPC code gRPC
     * maps it to (503 → {@code UNAVAILABLE}).
     */
    public Builder abort(int status, double percent) {
      if (status < 200 || status > 599) {
        throw new IllegalArgumentException(
            "fault abort status: " + status + " (expected 200..599)");
      }
      this.httpStatus = status;
      this.grpcCode = StatusMapping.grpcCodeFor(status);
      this.abortPercent = percent(percent, "abort");
      return this;
    }

    /**
     * Aborts {@code percent} % of attempts with the numeric gRPC status {@code code}; HTTP requests
     * get the status gateways map it to ({@code UNAVAILABLE} → 503).
     */
    public Builder abortGrpc(int code, double percent) {
      if (code < 1 || code > 16) {
        throw new IllegalArgumentException("fault abort gRPC code: " + code + " (expected 1..16)");
      }
      this.grpcCode = code;
      this.httpStatus = StatusMapping.httpStatusFor(code);
      this.abortPercent = percent(percent, "abort");
      return this;
    }

    /** Whether aborted attempts are retried like real failures; default false. */
    public Builder retried(boolean retried) {
      this.retried = retried;
      return this;
    }

    private static double percent(double percent, String what) {
      if (!(percent >= 0 && percent <= 100)) {
        throw new IllegalArgumentException(
            "fault " + what + " percentage: " + percent + " (expected 0..100)");
      }
      return percent;
    }

    public Fault build() {
      return new Fault(this);
    }
  }

  /** The per-request fault in {@code request}'s header, or null if absent or malformed. */
  static @Nullable Fault fromHeader(MeshRequest request) {
    String value = request.header(HEADER);
    if (value == null) {
      return null;
    }
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      return null; // a malformed test header must not fail the request it rides on
    }
  }
}
