package dev.meshwork.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FakeTickerTest {

  private final FakeTicker ticker = new FakeTicker();
  private final List<String> ran = new ArrayList<>();

  @Test
  void scheduledTasksRunInDueOrderWhenTimeAdvances() {
    long start = ticker.nanoTime();
    ticker
        .scheduler()
        .schedule(() -> ran.add("b@" + (ticker.nanoTime() - start)), 2, TimeUnit.SECONDS);
    ticker
        .scheduler()
        .schedule(() -> ran.add("a@" + (ticker.nanoTime() - start)), 1, TimeUnit.SECONDS);
    ticker.advance(Duration.ofMillis(1_500));
    assertThat(ran).containsExactly("a@1000000000");
    ticker.advance(Duration.ofSeconds(1));
    assertThat(ran).containsExactly("a@1000000000", "b@2000000000");
    assertThat(ticker.nanoTime() - start).isEqualTo(2_500_000_000L);
  }

  @Test
  void periodicTasksRepeatUntilCancelled() {
    ScheduledFuture<?> f =
        ticker
            .scheduler()
            .scheduleAtFixedRate(() -> ran.add("tick"), 0, 100, TimeUnit.MILLISECONDS);
    ticker.advance(Duration.ofMillis(350));
    assertThat(ran).hasSize(4);
    f.cancel(false);
    ticker.advance(Duration.ofSeconds(1));
    assertThat(ran).hasSize(4);
    assertThat(ticker.pendingTasks()).isZero();
  }

  @Test
  void sleepingAdvancesTimeInsteadOfBlocking() {
    long start = ticker.nanoTime();
    ticker.sleep(TimeUnit.SECONDS.toNanos(30));
    assertThat(ticker.nanoTime() - start).isEqualTo(30_000_000_000L);
  }

  @Test
  void seededRandomRepeatsItsDraws() {
    SeededRandom a = new SeededRandom(1);
    SeededRandom b = new SeededRandom(1);
    for (int i = 0; i < 100; i++) {
      assertThat(a.nextLong(1_000)).isEqualTo(b.nextLong(1_000));
    }
  }
}
