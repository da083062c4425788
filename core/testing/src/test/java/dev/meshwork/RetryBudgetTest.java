package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {

  private final FakeTicker ticker = new FakeTicker();

  @Test
  void aFreshBudgetHoldsOnlyTheReserve() {
    RetryBudget budget = RetryBudget.defaults(ticker);
    assertThat(budget.balance()).isEqualTo(100); // 10 per second for 10 seconds
    int granted = 0;
    while (budget.tryWithdraw()) {
      granted++;
    }
    assertThat(granted).isEqualTo(100);
  }

  @Test
  void eachRequestAllowsAFifthOfARetry() {
    RetryBudget budget = RetryBudget.create(Duration.ofSeconds(10), 0, 0.2, ticker);
    for (int i = 0; i < 1_000; i++) {
      budget.deposit();
    }
    int granted = 0;
    while (budget.tryWithdraw()) {
      granted++;
    }
    assertThat(granted).isEqualTo(200);
    assertThat(budget.balance()).isZero();
  }

  @Test
  void depositsExpireAfterTheTtl() {
    RetryBudget budget = RetryBudget.create(Duration.ofSeconds(10), 0, 0.2, ticker);
    for (int i = 0; i < 500; i++) {
      budget.deposit();
    }
    ticker.advance(Duration.ofSeconds(5));
    assertThat(budget.balance()).isEqualTo(100);
    ticker.advance(Duration.ofSeconds(6));
    assertThat(budget.balance()).isZero();
    assertThat(budget.tryWithdraw()).isFalse();
  }

  @Test
  void theReserveRefillsOnceWithdrawalsExpire() {
    RetryBudget budget = RetryBudget.create(Duration.ofSeconds(2), 5, 0.2, ticker);
    int granted = 0;
    while (budget.tryWithdraw()) {
      granted++;
    }
    assertThat(granted).isEqualTo(10);
    ticker.advance(Duration.ofMillis(2_100));
    assertThat(budget.tryWithdraw()).isTrue();
  }

  @Test
  void retryIsDeniedWhenBudgetIsExhaustedEvenUnderConcurrentWithdrawals() throws Exception {
    RetryBudget budget = RetryBudget.create(Duration.ofSeconds(10), 0, 0.2, ticker);
    for (int i = 0; i < 500; i++) {
      budget.deposit(); // room for exactly 100 retries
    }
    AtomicInteger granted = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      threads.add(
          new Thread(
              () -> {
                for (int i = 0; i < 100; i++) {
                  if (budget.tryWithdraw()) {
                    granted.incrementAndGet();
                  }
                }
              }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    assertThat(granted.get()).isBetween(90, 100);
    assertThat(budget.tryWithdraw()).isEqualTo(granted.get() < 100);
  }

  @Test
  void aZeroRatioLeavesOnlyTheReserve() {
    RetryBudget budget = RetryBudget.create(Duration.ofSeconds(1), 3, 0, ticker);
    for (int i = 0; i < 1_000; i++) {
      budget.deposit();
    }
    assertThat(budget.balance()).isEqualTo(3);
  }
}
