package dev.meshwork.consul.internal;

import dev.meshwork.ConfigException;
import dev.meshwork.SourceContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Makes the {@link BlockingWatch}es of one source, each reporting into the mesh through the {@link
 * SourceContext} (rejected answers, outages, recoveries), and tells the mesh the source is ready
 * once every watch made before that has had its first answer. Thread-safe.
 */
final class ReportingWatches {

  private final SourceContext context;
  private final WatchSettings settings;
  private final Set<String> awaitingFirstAnswer = ConcurrentHashMap.newKeySet();
  private volatile boolean ready;

  ReportingWatches(SourceContext context, WatchSettings settings) {
    this.context = context;
    this.settings = settings;
  }

  /**
   * A watch (not started) that hands new values to {@code onChange}.
   *
   * @param expected handles a failure that is an answer rather than an outage (it then counts as
   *     the watch's first answer and is not reported); returns false for failures to report
   */
  <R, T> BlockingWatch<R, T> watch(
      String name,
      BlockingWatch.Fetcher<R> fetcher,
      BlockingWatch.Parser<R, T> parser,
      Consumer<T> onChange,
      Predicate<Throwable> expected) {
    if (!ready) {
      awaitingFirstAnswer.add(name);
    }
    return new BlockingWatch<>(
        name,
        fetcher,
        parser,
        new BlockingWatch.Handler<T>() {
          @Override
          public void changed(T value, Reply<?> reply) {
            onChange.accept(value);
            answered(name);
          }

          @Override
          public void rejected(ConfigException error) {
            context.rejectConfig(error);
            answered(name);
          }

          @Override
          public void failed(Throwable error) {
            if (expected.test(error)) {
              answered(name);
            } else {
              context.reportFailure(error);
            }
          }

          @Override
          public void recovered() {
            context.reportRecovered();
          }
        },
        settings,
        context.scheduler(),
        context.ticker(),
        context.random());
  }

  private void answered(String watch) {
    if (awaitingFirstAnswer.remove(watch) && awaitingFirstAnswer.isEmpty()) {
      markReady();
    }
  }

  /** Tells the mesh the source is ready, once. */
  synchronized void markReady() {
    if (!ready) {
      ready = true;
      context.ready();
    }
  }
}
