package dev.meshwork.consul.internal;

import dev.meshwork.ConfigException;
import dev.meshwork.RandomSource;
import dev.meshwork.Ticker;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Watches one Consul resource with blocking queries, following Consul's rules for clients ({@code
 * api-docs/features/blocking}):
 *
 * <ul>
 *   <li>the first query carries no index and returns at once; later ones send the last {@code
 *       X-Consul-Index} with {@code wait} and hang until the resource changes or {@code wait} (plus
 *       Consul's jitter) passes;
 *   <li>an index lower than the last one (snapshot restore, leader change) resets the index to 0:
 *       the next query is one non-blocking fetch, after which the watch blocks on the fresh index;
 *   <li>a missing or zero index is treated as 1, so the watch never loops with no index (which
 *       would not block at all);
 *   <li>the same index again means nothing changed: nothing is parsed or published;
 *   <li>queries are rate limited by a {@link TokenBucket}, so a resource whose queries return at
 *       once cannot turn the watch into a busy loop;
 *   <li>an error or a 5xx keeps everything last published, is reported, and is retried after a
 *       jittered exponential {@link Backoff}; the first good answer reports recovery.
 * </ul>
 *
 * <p>One request is in flight at a time. Replies arrive on the fetcher's thread; delays run on the
 * scheduler (the mesh's, a fake one in tests). Thread-safe in that sense: the loop is strictly
 * sequential and {@link #close()} may be called from any thread.
 */
public final class BlockingWatch<R, T> {

  /** Issues one query; {@code index} 0 means a non-blocking query without {@code index}. */
  public interface Fetcher<R> {
    CompletableFuture<Reply<R>> fetch(long index);
  }

  /** Turns an answer's body into the watched value; 404 answers arrive with {@code status}. */
  public interface Parser<R, T> {
    T parse(Reply<R> reply) throws ConfigException;
  }

  /** Receives what the watch learns; called one at a time. */
  public interface Handler<T> {
    /** A new value (the first one, or one different from the last). */
    void changed(T value, Reply<?> reply);

    /** The resource changed into something invalid; the last good value stays. */
    void rejected(ConfigException error);

    /** Consul could not be asked or answered with an error; everything published stays. */
    void failed(Throwable error);

    /** Consul answers again after {@link #failed}. */
    void recovered();
  }

  private final String name;
  private final Fetcher<R> fetcher;
  private final Parser<R, T> parser;
  private final Handler<T> handler;
  private final ScheduledExecutorService scheduler;
  private final Ticker ticker;
  private final RandomSource random;
  private final TokenBucket bucket;
  private final Backoff backoff;

  private volatile boolean closed;
  private volatile @Nullable CompletableFuture<?> inFlight;
  private long index;
  private boolean answered;
  private int failures;
  private @Nullable T last;

  public BlockingWatch(
      String name,
      Fetcher<R> fetcher,
      Parser<R, T> parser,
      Handler<T> handler,
      WatchSettings settings,
      ScheduledExecutorService scheduler,
      Ticker ticker,
      RandomSource random) {
    this.name = name;
    this.fetcher = fetcher;
    this.parser = parser;
    this.handler = handler;
    this.scheduler = scheduler;
    this.ticker = ticker;
    this.random = random;
    this.bucket = new TokenBucket(settings.burst(), settings.interval());
    this.backoff = new Backoff(settings.backoffBase(), settings.backoffMax());
  }

  public String name() {
    return name;
  }

  /** Sends the first (non-blocking) query. Does not block. */
  public void start() {
    bucket.take(ticker.nanoTime());
    issue();
  }

  /** Stops the watch: no further query is sent and a reply still in flight is dropped. */
  public void close() {
    closed = true;
    CompletableFuture<?> f = inFlight;
    if (f != null) {
      f.cancel(true);
    }
  }

  public boolean isClosed() {
    return closed;
  }

  private void issue() {
    if (closed) {
      return;
    }
    CompletableFuture<Reply<R>> f;
    try {
      f = fetcher.fetch(index);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    inFlight = f;
    f.whenComplete(this::onReply);
  }

  private void onReply(@Nullable Reply<R> reply, @Nullable Throwable error) {
    if (closed) {
      return;
    }
    try {
      if (error != null) {
        onError(unwrap(error));
      } else {
        onAnswer(Objects.requireNonNull(reply));
      }
    } catch (RuntimeException e) {
      // A handler bug must not end the watch.
      onError(e);
    }
  }

  private void onError(Throwable error) {
    failures++;
    if (error instanceof ConfigException) {
      // Consul answered, but with something we cannot read and without an index to move on.
      handler.rejected((ConfigException) error);
    } else {
      handler.failed(error);
    }
    schedule(backoff.delayNanos(failures, random));
  }

  private void onAnswer(Reply<R> reply) {
    if (failures > 0) {
      failures = 0;
      handler.recovered();
    }
    long returned = reply.index() < 1 ? 1 : reply.index();
    boolean unchanged = answered && returned == index;
    if (returned < index) {
      index = 0;
    } else {
      index = returned;
    }
    if (!unchanged) {
      publish(reply);
    }
    answered = true;
    schedule(bucket.take(ticker.nanoTime()));
  }

  private void publish(Reply<R> reply) {
    T value;
    try {
      value = parser.parse(reply);
    } catch (ConfigException e) {
      handler.rejected(e);
      return;
    }
    if (last == null || !last.equals(value)) {
      last = value;
      handler.changed(value, reply);
    }
  }

  private void schedule(long delayNanos) {
    if (closed) {
      return;
    }
    if (delayNanos <= 0) {
      issue();
    } else {
      scheduler.schedule(this::issue, delayNanos, TimeUnit.NANOSECONDS);
    }
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public String toString() {
    return "BlockingWatch{" + name + ", index=" + index + "}";
  }
}
