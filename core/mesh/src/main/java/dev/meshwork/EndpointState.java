package dev.meshwork;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Runtime statistics of one endpoint, kept across config and endpoint updates for as long as the
 * endpoint's address stays: requests in flight, the peak-EWMA latency estimate, and its gate.
 *
 * <p>Lock-free: in-flight is an atomic counter; the EWMA is updated by compare-and-set on its value
 * (a racing update of the timestamp can misplace one decay step, which the estimate tolerates, as
 * Finagle's and Linkerd's do).
 */
final class EndpointState {

  private static final VarHandle IN_FLIGHT;
  private static final VarHandle COST;
  private static final VarHandle ATTACHMENTS;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      IN_FLIGHT = lookup.findVarHandle(EndpointState.class, "inFlight", int.class);
      COST = lookup.findVarHandle(EndpointState.class, "costBits", long.class);
      ATTACHMENTS = lookup.findVarHandle(EndpointState.class, "attachments", Object[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final ServiceName service;
  final @Nullable EndpointGate gate;
  private volatile Endpoint endpoint;

  @SuppressWarnings("unused") // accessed through IN_FLIGHT
  private volatile int inFlight;

  /** Double bits of the EWMA in nanoseconds; NaN until the first observation. */
  @SuppressWarnings("unused") // accessed through COST
  private volatile long costBits = Double.doubleToRawLongBits(Double.NaN);

  private volatile long stampNanos;

  /** Key, value, key, value…: what adapters keep per endpoint; replaced, never changed in place. */
  @SuppressWarnings("unused") // written through ATTACHMENTS
  private volatile Object @Nullable [] attachments;

  EndpointState(ServiceName service, Endpoint endpoint, @Nullable EndpointGate gate) {
    this.service = service;
    this.endpoint = endpoint;
    this.gate = gate;
  }

  Endpoint endpoint() {
    return endpoint;
  }

  /** Replaces the endpoint's attributes (weight, labels) while keeping its statistics. */
  void update(Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  @SuppressWarnings("unchecked")
  <T> @Nullable T attachment(MeshContext.Key<T> key) {
    Object[] a = attachments;
    if (a != null) {
      for (int i = 0; i < a.length; i += 2) {
        if (a[i] == key) {
          return (T) a[i + 1];
        }
      }
    }
    return null;
  }

  /**
   * Keeps {@code value} under {@code key} unless a value is there already; returns the one kept.
   */
  <T> T attachIfAbsent(MeshContext.Key<T> key, T value) {
    while (true) {
      Object[] a = attachments;
      T present = attachment(key);
      if (present != null) {
        return present;
      }
      Object[] b = a == null ? new Object[2] : Arrays.copyOf(a, a.length + 2);
      b[b.length - 2] = key;
      b[b.length - 1] = value;
      if (ATTACHMENTS.compareAndSet(this, a, b)) {
        return value;
      }
    }
  }

  int inFlight() {
    return (int) IN_FLIGHT.getVolatile(this);
  }

  void attemptStarted() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  void attemptEnded() {
    IN_FLIGHT.getAndAdd(this, -1);
  }

  boolean isAdmitting() {
    return gate == null || gate.isAdmitting();
  }

  /** Weight after the gate's factor (slow start); always positive. */
  double effectiveWeight() {
    double w = endpoint.weight();
    return gate == null ? w : Math.max(w * gate.weightFactor(), 1e-3);
  }

  boolean isMeasured() {
    return !Double.isNaN(Double.longBitsToDouble((long) COST.getVolatile(this)));
  }

  /** The EWMA decayed to {@code now}, or NaN when nothing was observed yet. */
  double decayedCost(long now, double decayNanos) {
    double cost = Double.longBitsToDouble((long) COST.getVolatile(this));
    if (Double.isNaN(cost)) {
      return cost;
    }
    long elapsed = now - stampNanos;
    return elapsed <= 0 ? cost : cost * Math.exp(-elapsed / decayNanos);
  }

  /**
   * Peak-sensitive EWMA: a sample above the estimate replaces it at once; below, it is blended in
   * with a weight that grows with the time since the last sample.
   */
  void observe(double rttNanos, long now, double decayNanos) {
    while (true) {
      long bits = (long) COST.getVolatile(this);
      double cost = Double.longBitsToDouble(bits);
      double next;
      if (Double.isNaN(cost) || rttNanos > cost) {
        next = rttNanos;
      } else {
        long elapsed = Math.max(now - stampNanos, 0);
        double w = Math.exp(-elapsed / decayNanos);
        next = cost * w + rttNanos * (1 - w);
      }
      if (COST.compareAndSet(this, bits, Double.doubleToRawLongBits(next))) {
        stampNanos = now;
        return;
      }
    }
  }

  @Override
  public String toString() {
    return endpoint.authority() + " inFlight=" + inFlight();
  }
}
