package dev.meshwork;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A live stream of request summaries for debugging, in the spirit of {@code linkerd viz tap}: every
 * outbound attempt (service, route, backend, endpoint, status, classification, latency), every
 * outbound call the mesh ended itself (no healthy endpoints, deadline), and every inbound request,
 * as {@link TapEvent}s, to each subscriber whose filter accepts them.
 *
 * <p>Memory is bounded: each subscription holds at most its {@code capacity} events; when the
 * subscriber falls behind, new events are dropped and {@linkplain Subscription#dropped() counted},
 * and the request path never waits. With no subscriber, the tap costs one volatile read per event.
 * Filters run on the request path, so keep them cheap; a filter that throws rejects the event.
 *
 * <p>It lives in core because it needs nothing but the JDK and the listener events, so any module
 * (an actuator endpoint, an agent's debug port) can serve it without pulling in a metrics library.
 *
 * <p>Thread-safe; register it as a listener and subscribe from any thread:
 *
 * <pre>{@code
 * Tap tap = Tap.create();
 * Mesh mesh = Mesh.builder().source(source).listener(tap).build();
 * try (Tap.Subscription failures =
 *     tap.subscribe(e -> e.result().isFailure() && "reviews".equals(e.service().name()), 1_000)) {
 *   TapEvent e;
 *   while ((e = failures.poll(Duration.ofSeconds(30))) != null) {
 *     System.out.println(e);   // OUTBOUND GET reviews.default/books/1 ... status=503 ...
 *   }
 * }
 * }</pre>
 */
public final class Tap implements MeshListener {

  /** The most events one subscription may buffer. */
  public static final int MAX_CAPACITY = 100_000;

  private static final Subscription[] NO_SUBSCRIBERS = new Subscription[0];

  private final Clock clock;
  private volatile Subscription[] subscribers = NO_SUBSCRIBERS;

  private Tap(Clock clock) {
    this.clock = clock;
  }

  /** A tap that stamps events with the system's UTC clock. */
  public static Tap create() {
    return create(Clock.systemUTC());
  }

  /** A tap that stamps events with {@code clock}. */
  public static Tap create(Clock clock) {
    return new Tap(Objects.requireNonNull(clock, "clock"));
  }

  /**
   * Starts receiving the events {@code filter} accepts, buffering at most {@code capacity} of them.
   * Close the subscription to stop.
   */
  public Subscription subscribe(Predicate<? super TapEvent> filter, int capacity) {
    Objects.requireNonNull(filter, "filter");
    if (capacity < 1 || capacity > MAX_CAPACITY) {
      throw new IllegalArgumentException(
          "tap capacity: " + capacity + " (expected 1.." + MAX_CAPACITY + ")");
    }
    Subscription s = new Subscription(filter, capacity);
    synchronized (this) {
      Subscription[] current = subscribers;
      Subscription[] next = Arrays.copyOf(current, current.length + 1);
      next[current.length] = s;
      subscribers = next;
    }
    return s;
  }

  /** Subscriptions currently open. */
  public int subscriberCount() {
    return subscribers.length;
  }

  private synchronized void remove(Subscription s) {
    Subscription[] current = subscribers;
    for (int i = 0; i < current.length; i++) {
      if (current[i] == s) {
        Subscription[] next = new Subscription[current.length - 1];
        System.arraycopy(current, 0, next, 0, i);
        System.arraycopy(current, i + 1, next, i, current.length - i - 1);
        subscribers = next;
        return;
      }
    }
  }

  @Override
  public void attemptEnded(MeshCall call, Attempt attempt) {
    Subscription[] subs = subscribers;
    if (subs.length > 0) {
      publish(subs, TapEvent.attempt(call, attempt, clock.instant()));
    }
  }

  @Override
  public void callEnded(MeshCall call) {
    Subscription[] subs = subscribers;
    MeshException failure = call.failure();
    if (subs.length > 0 && failure != null) {
      publish(subs, TapEvent.meshFailure(call, failure, clock.instant()));
    }
  }

  @Override
  public void inboundEnded(InboundCall call) {
    Subscription[] subs = subscribers;
    if (subs.length > 0) {
      publish(subs, TapEvent.inbound(call, clock.instant()));
    }
  }

  private static void publish(Subscription[] subs, TapEvent event) {
    for (Subscription s : subs) {
      s.offer(event);
    }
  }

  @Override
  public String toString() {
    return "Tap{subscribers=" + subscribers.length + "}";
  }

  /**
   * One subscriber's bounded buffer of events. Any thread may poll it; one consumer at a time is
   * the intended use.
   */
  public final class Subscription implements AutoCloseable {
    private final Predicate<? super TapEvent> filter;
    private final int capacity;
    private final ConcurrentLinkedQueue<TapEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private volatile @Nullable Thread waiter;
    private volatile boolean closed;

    private Subscription(Predicate<? super TapEvent> filter, int capacity) {
      this.filter = filter;
      this.capacity = capacity;
    }

    void offer(TapEvent event) {
      if (closed || !accepts(event)) {
        return;
      }
      if (size.incrementAndGet() > capacity) {
        size.decrementAndGet();
        dropped.incrementAndGet();
        return;
      }
      queue.offer(event);
      Thread w = waiter;
      if (w != null) {
        LockSupport.unpark(w);
      }
    }

    private boolean accepts(TapEvent event) {
      try {
        return filter.test(event);
      } catch (RuntimeException e) {
        return false;
      }
    }

    /** The oldest buffered event, or null if there is none. */
    public @Nullable TapEvent poll() {
      TapEvent e = queue.poll();
      if (e != null) {
        size.decrementAndGet();
      }
      return e;
    }

    /**
     * The oldest buffered event, waiting up to {@code timeout} for one; null if none arrived or the
     * subscription was closed.
     */
    public @Nullable TapEvent poll(Duration timeout) throws InterruptedException {
      long deadline = Ticker.system().nanoTime() + timeout.toNanos();
      while (true) {
        TapEvent e = poll();
        if (e != null || closed) {
          return e;
        }
        waiter = Thread.currentThread();
        try {
          e = poll(); // an event offered before the waiter was visible
          if (e != null) {
            return e;
          }
          long left = deadline - Ticker.system().nanoTime();
          if (left <= 0) {
            return null;
          }
          LockSupport.parkNanos(this, Math.min(left, TimeUnit.SECONDS.toNanos(1)));
        } finally {
          waiter = null;
        }
        if (Thread.interrupted()) {
          throw new InterruptedException("interrupted while polling " + this);
        }
      }
    }

    /** Moves every buffered event into {@code sink}, oldest first; returns how many. */
    public int drainTo(Collection<? super TapEvent> sink) {
      int n = 0;
      for (TapEvent e = poll(); e != null; e = poll()) {
        sink.add(e);
        n++;
      }
      return n;
    }

    /** Events this subscriber's filter accepted but its full buffer could not take. */
    public long dropped() {
      return dropped.get();
    }

    /** Events buffered now. */
    public int buffered() {
      return size.get();
    }

    public boolean isClosed() {
      return closed;
    }

    /** Stops receiving events and wakes a waiting {@link #poll(Duration)}; buffered events stay. */
    @Override
    public void close() {
      closed = true;
      remove(this);
      Thread w = waiter;
      if (w != null) {
        LockSupport.unpark(w);
      }
    }

    @Override
    public String toString() {
      return "Tap.Subscription{buffered=" + size.get() + ", dropped=" + dropped.get() + "}";
    }
  }
}
