package dev.meshwork.consul.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.ConfigException;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.SeededRandom;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The watch loop against a scripted fetcher on a fake clock: each of the behaviours Consul users
 * have been burned by, one test each.
 */
class BlockingWatchTest {

  private final FakeTicker ticker = new FakeTicker();
  private final List<Long> asked = new ArrayList<>();
  private final List<Long> askedAt = new ArrayList<>();
  private final Deque<CompletableFuture<Reply<String>>> answers = new ArrayDeque<>();
  private final List<String> published = new ArrayList<>();
  private final List<String> events = new ArrayList<>();
  private final WatchSettings settings =
      new WatchSettings(
          Duration.ofSeconds(1),
          2,
          Duration.ofSeconds(15),
          Duration.ofSeconds(1),
          Duration.ofSeconds(60));

  private BlockingWatch<String, String> watch() {
    return new BlockingWatch<>(
        "test",
        index -> {
          asked.add(index);
          askedAt.add(ticker.nanoTime());
          CompletableFuture<Reply<String>> f = answers.poll();
          return f != null ? f : new CompletableFuture<>();
        },
        reply -> {
          if (reply.body().startsWith("bad")) {
            throw ConfigException.of("consul /v1/test", "x", reply.body(), "good");
          }
          return reply.body();
        },
        new BlockingWatch.Handler<>() {
          @Override
          public void changed(String value, Reply<?> reply) {
            published.add(value);
          }

          @Override
          public void rejected(ConfigException error) {
            events.add("rejected " + error.value());
          }

          @Override
          public void failed(Throwable error) {
            events.add("failed " + error.getMessage());
          }

          @Override
          public void recovered() {
            events.add("recovered");
          }
        },
        settings,
        ticker.scheduler(),
        ticker,
        new SeededRandom(1));
  }

  private void answer(long index, String body) {
    answers.add(CompletableFuture.completedFuture(new Reply<>(200, index, null, body)));
  }

  private void fail(String message) {
    answers.add(CompletableFuture.failedFuture(new IOException(message)));
  }

  @Test
  void theFirstQueryDoesNotBlockAndLaterOnesBlockOnTheReturnedIndex() {
    answer(100, "a");
    watch().start();

    assertThat(asked).containsExactly(0L, 100L);
    assertThat(published).containsExactly("a");
  }

  @Test
  void anIndexGoingBackwardsResetsToANonBlockingQuery() {
    answer(105, "a");
    answer(7, "b");
    answer(7, "b");
    watch().start();
    ticker.advance(Duration.ofSeconds(30));

    assertThat(asked).containsExactly(0L, 105L, 0L, 7L);
    assertThat(published).containsExactly("a", "b");
  }

  @Test
  void aMissingIndexIsClampedToOneAndDoesNotLoopHot() {
    for (int i = 0; i < 10; i++) {
      answer(0, "a");
    }
    watch().start();
    assertThat(asked).containsExactly(0L, 1L);
    ticker.advance(Duration.ofSeconds(45));

    // Never index=0 again, and no more than one query per 15 s after the burst of two.
    assertThat(asked).containsExactly(0L, 1L, 1L, 1L, 1L);
    assertThat(askedAt.get(4) - askedAt.get(3)).isEqualTo(Duration.ofSeconds(15).toNanos());
    assertThat(published).containsExactly("a");
  }

  @Test
  void anUnchangedIndexPublishesNothing() {
    answer(100, "a");
    answer(100, "a-but-not-parsed");
    answer(101, "b");
    watch().start();
    ticker.advance(Duration.ofSeconds(15));

    assertThat(published).containsExactly("a", "b");
  }

  @Test
  void queriesThatReturnAtOnceAreRateLimitedAfterABurstOfTwo() {
    for (long i = 1; i <= 6; i++) {
      answer(100 + i, "v" + i);
    }
    watch().start();
    assertThat(asked).hasSize(2);
    ticker.advance(Duration.ofSeconds(14));
    assertThat(asked).hasSize(2);
    ticker.advance(Duration.ofSeconds(1));
    assertThat(asked).hasSize(3);
    ticker.advance(Duration.ofSeconds(30));
    assertThat(asked).hasSize(5);
  }

  @Test
  void errorsKeepTheLastValueBackOffWithJitterAndRecover() {
    answer(100, "a");
    fail("connection refused");
    fail("connection refused");
    fail("connection refused");
    answer(100, "a");
    answer(120, "c");
    watch().start();
    assertThat(events).containsExactly("failed connection refused");
    List<Long> before = List.copyOf(askedAt);

    ticker.advance(Duration.ofSeconds(30));

    assertThat(events)
        .containsExactly(
            "failed connection refused",
            "failed connection refused",
            "failed connection refused",
            "recovered");
    assertThat(published).containsExactly("a", "c");
    // Delays grow: 1 s, then 2 s, then 4 s ceilings with at least half of each.
    long first = askedAt.get(2) - before.get(1);
    long second = askedAt.get(3) - askedAt.get(2);
    long third = askedAt.get(4) - askedAt.get(3);
    assertThat(first).isBetween(500_000_000L, 1_000_000_000L);
    assertThat(second).isBetween(1_000_000_000L, 2_000_000_000L);
    assertThat(third).isBetween(2_000_000_000L, 4_000_000_000L);
    assertThat(asked.get(4)).as("the index survives the outage").isEqualTo(100L);
  }

  @Test
  void anInvalidChangeIsRejectedTheLastGoodValueStaysAndTheWatchMovesOn() {
    answer(100, "a");
    answer(101, "bad-1");
    answer(102, "b");
    watch().start();
    ticker.advance(Duration.ofSeconds(30));

    assertThat(events).containsExactly("rejected \"bad-1\"");
    assertThat(published).containsExactly("a", "b");
    assertThat(asked).containsExactly(0L, 100L, 101L, 102L);
  }

  @Test
  void aClosedWatchSendsNothingMore() {
    answer(100, "a");
    CompletableFuture<Reply<String>> hanging = new CompletableFuture<>();
    answers.add(hanging);
    BlockingWatch<String, String> w = watch();
    w.start();

    w.close();
    ticker.advance(Duration.ofMinutes(1));

    assertThat(asked).containsExactly(0L, 100L);
    assertThat(hanging).isCancelled();
  }

  @Test
  void theReadTimeoutAllowsForWaitAndConsulsJitter() {
    WatchSettings s = WatchSettings.defaults();

    assertThat(s.blockFor()).isEqualTo(Duration.ofMinutes(5));
    assertThat(s.readTimeout())
        .isEqualTo(Duration.ofMinutes(5).plusMillis(300_000 / 16).plus(WatchSettings.READ_MARGIN));
  }
}
