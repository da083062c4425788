package dev.meshwork.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The scheduler of a {@link FakeTicker}: tasks run on the thread that advances the ticker, in
 * due-time order (then submission order). {@link #execute} runs the task at once.
 */
final class FakeScheduler extends AbstractExecutorService implements ScheduledExecutorService {

  private final FakeTicker ticker;
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long sequence;
  private boolean shutdown;

  FakeScheduler(FakeTicker ticker) {
    this.ticker = ticker;
  }

  void runUntil(long target) {
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due > target) {
          return;
        }
        queue.poll();
      }
      ticker.set(next.due);
      next.run();
    }
  }

  synchronized int pending() {
    return queue.size();
  }

  private synchronized <V> Task<V> add(Task<V> task) {
    if (shutdown) {
      throw new java.util.concurrent.RejectedExecutionException("fake scheduler shut down");
    }
    task.seq = sequence++;
    queue.add(task);
    return task;
  }

  private synchronized void remove(Task<?> task) {
    queue.remove(task);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(
        new Task<Void>(
            () -> {
              command.run();
              return null;
            },
            ticker.nanoTime() + unit.toNanos(Math.max(delay, 0)),
            0));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return add(new Task<>(callable, ticker.nanoTime() + unit.toNanos(Math.max(delay, 0)), 0));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return repeating(command, unit.toNanos(initialDelay), unit.toNanos(period));
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return repeating(command, unit.toNanos(initialDelay), unit.toNanos(delay));
  }

  private ScheduledFuture<?> repeating(Runnable command, long initialDelayNanos, long periodNanos) {
    if (periodNanos <= 0) {
      throw new IllegalArgumentException("period: " + periodNanos + " ns (expected > 0)");
    }
    return add(
        new Task<Void>(
            () -> {
              command.run();
              return null;
            },
            ticker.nanoTime() + Math.max(initialDelayNanos, 0),
            periodNanos));
  }

  @Override
  public void execute(Runnable command) {
    command.run();
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> pending = new ArrayList<>(queue);
    queue.clear();
    return pending;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isShutdown();
  }

  private final class Task<V> implements ScheduledFuture<V>, Runnable {
    private final Callable<V> body;
    private final long period;
    long due;
    long seq;
    private boolean done;
    private boolean cancelled;
    private @Nullable V result;
    private @Nullable Throwable failure;

    Task(Callable<V> body, long due, long period) {
      this.body = body;
      this.due = due;
      this.period = period;
    }

    @Override
    public void run() {
      synchronized (this) {
        if (cancelled) {
          return;
        }
      }
      try {
        V value = body.call();
        synchronized (this) {
          if (period == 0) {
            result = value;
            done = true;
          }
        }
      } catch (Exception e) {
        synchronized (this) {
          failure = e;
          done = true;
        }
        return;
      }
      if (period > 0) {
        due += period;
        add(this);
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - ticker.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task<?> t = (Task<?>) o;
      int c = Long.compare(due, t.due);
      return c != 0 ? c : Long.compare(seq, t.seq);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      synchronized (this) {
        if (done) {
          return false;
        }
        cancelled = true;
        done = true;
      }
      remove(this);
      return true;
    }

    @Override
    public synchronized boolean isCancelled() {
      return cancelled;
    }

    @Override
    public synchronized boolean isDone() {
      return done;
    }

    @Override
    public synchronized V get() throws ExecutionException {
      if (!done) {
        throw new IllegalStateException(
            "fake scheduled task not run yet: advance the FakeTicker first");
      }
      if (cancelled) {
        throw new CancellationException();
      }
      if (failure != null) {
        throw new ExecutionException(failure);
      }
      return result;
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws ExecutionException, TimeoutException {
      return get();
    }
  }
}
