package dev.meshwork;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * When a failed attempt is tried again: how many attempts at most, which HTTP statuses and gRPC
 * codes are retryable, and how long to back off (exponential with full jitter, never past the
 * call's deadline). Whether a retry actually happens also depends on the request being safe to send
 * again and on the destination's {@link RetryBudget}.
 *
 * <p>Defaults: 3 attempts; HTTP 502, 503, 504 and gRPC {@code UNAVAILABLE} retryable; backoff 25 ms
 * doubling to 250 ms (Linkerd's values). Immutable.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *     .maxAttempts(2)
 *     .retryHttpStatuses(500, 502, 503, 504)
 *     .build();
 * }</pre>
 */
public final class RetryPolicy {

  private static final RetryPolicy DEFAULTS = builder().build();
  private static final RetryPolicy NONE = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final long baseBackoffNanos;
  private final long maxBackoffNanos;
  private final Set<Integer> httpStatuses;
  private final Set<Integer> grpcCodes;
  private final boolean retryConnectFailures;
  // Fast paths for the usual statuses, checked on every failed attempt.
  private final long httpStatusBits;
  private final int grpcCodeBits;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.baseBackoffNanos = b.baseBackoff.toNanos();
    this.maxBackoffNanos = b.maxBackoff.toNanos();
    this.httpStatuses = Set.copyOf(b.httpStatuses);
    this.grpcCodes = Set.copyOf(b.grpcCodes);
    this.retryConnectFailures = b.retryConnectFailures;
    long bits = 0;
    for (int s : httpStatuses) {
      if (s >= 500 && s < 564) {
        bits |= 1L << (s - 500);
      }
    }
    this.httpStatusBits = bits;
    int codes = 0;
    for (int c : grpcCodes) {
      codes |= 1 << c;
    }
    this.grpcCodeBits = codes;
  }

  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** One attempt, never a retry. */
  public static RetryPolicy none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this policy's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxAttempts = maxAttempts;
    b.baseBackoff = Duration.ofNanos(baseBackoffNanos);
    b.maxBackoff = Duration.ofNanos(maxBackoffNanos);
    b.httpStatuses.clear();
    b.httpStatuses.addAll(httpStatuses);
    b.grpcCodes.clear();
    b.grpcCodes.addAll(grpcCodes);
    b.retryConnectFailures = retryConnectFailures;
    return b;
  }

  /** Attempts per call including the first; 1 means no retries. */
  public int maxAttempts() {
    return maxAttempts;
  }

  public Set<Integer> retryableHttpStatuses() {
    return httpStatuses;
  }

  public Set<Integer> retryableGrpcCodes() {
    return grpcCodes;
  }

  /**
   * Whether a request that could not be sent at all (connection refused, no route) is retried; true
   * by default, because it is always safe.
   */
  public boolean retriesConnectFailures() {
    return retryConnectFailures;
  }

  public boolean retriesHttpStatus(int status) {
    if (status >= 500 && status < 564) {
      return (httpStatusBits & (1L << (status - 500))) != 0;
    }
    return httpStatuses.contains(status);
  }

  public boolean retriesGrpcCode(int code) {
    return code >= 0 && code < 32 && (grpcCodeBits & (1 << code)) != 0;
  }

  /**
   * The pause before retry number {@code retry} (1 for the first retry): uniformly random in {@code
   * [0, min(max, base * 2^(retry-1))]}.
   */
  public long backoffNanos(int retry, RandomSource random) {
    if (baseBackoffNanos == 0) {
      return 0;
    }
    int shift = Math.min(Math.max(retry - 1, 0), 30);
    long ceiling = baseBackoffNanos << shift;
    if (ceiling <= 0 || ceiling > maxBackoffNanos) {
      ceiling = maxBackoffNanos;
    }
    return random.nextLong(ceiling + 1);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RetryPolicy)) {
      return false;
    }
    RetryPolicy p = (RetryPolicy) o;
    return maxAttempts == p.maxAttempts
        && baseBackoffNanos == p.baseBackoffNanos
        && maxBackoffNanos == p.maxBackoffNanos
        && retryConnectFailures == p.retryConnectFailures
        && httpStatuses.equals(p.httpStatuses)
        && grpcCodes.equals(p.grpcCodes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        maxAttempts,
        baseBackoffNanos,
        maxBackoffNanos,
        httpStatuses,
        grpcCodes,
        retryConnectFailures);
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts="
        + maxAttempts
        + ", backoff="
        + Duration.ofNanos(baseBackoffNanos).toMillis()
        + ".."
        + Duration.ofNanos(maxBackoffNanos).toMillis()
        + "ms, http="
        + new TreeSet<>(httpStatuses)
        + ", grpc="
        + new TreeSet<>(grpcCodes)
        + "}";
  }

  /** Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration baseBackoff = Duration.ofMillis(25);
    private Duration maxBackoff = Duration.ofMillis(250);
    private final Set<Integer> httpStatuses = new TreeSet<>(Set.of(502, 503, 504));
    private final Set<Integer> grpcCodes = new TreeSet<>(Set.of(14));
    private boolean retryConnectFailures = true;

    private Builder() {}

    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > 100) {
        throw new IllegalArgumentException(
            "retry maxAttempts: " + maxAttempts + " (expected 1..100)");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Backoff before the first retry, doubling per retry up to {@code max}. */
    public Builder backoff(Duration base, Duration max) {
      if (base.isNegative() || max.compareTo(base) < 0) {
        throw new IllegalArgumentException(
            "retry backoff: " + base + ".." + max + " (expected 0 <= base <= max)");
      }
      this.baseBackoff = base;
      this.maxBackoff = max;
      return this;
    }

    /** Replaces the retryable HTTP statuses. */
    public Builder retryHttpStatuses(int... statuses) {
      httpStatuses.clear();
      for (int s : statuses) {
        if (s < 100 || s > 599) {
          throw new IllegalArgumentException("retry HTTP status: " + s + " (expected 100..599)");
        }
        httpStatuses.add(s);
      }
      return this;
    }

    /** Replaces the retryable gRPC status codes (numeric, 0..16). */
    public Builder retryGrpcCodes(int... codes) {
      grpcCodes.clear();
      for (int c : codes) {
        if (c < 1 || c > 16) {
          throw new IllegalArgumentException("retry gRPC code: " + c + " (expected 1..16)");
        }
        grpcCodes.add(c);
      }
      return this;
    }

    /** Whether requests that could not be sent at all are retried (default true). */
    public Builder retryConnectFailures(boolean retry) {
      this.retryConnectFailures = retry;
      return this;
    }

    public RetryPolicy build() {
      return new RetryPolicy(this);
    }
  }
}
