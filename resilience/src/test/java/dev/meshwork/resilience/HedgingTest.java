package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Attempt;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshRequest;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HedgingTest {

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final Hedging hedging =
      Hedging.builder()
          .maxExtraLoad(0.05)
          .window(Duration.ofSeconds(30), Duration.ofSeconds(1))
          .build();
  private final Mesh mesh =
      Mesh.builder()
          .source(source)
          .ticker(ticker)
          .scheduler(ticker.scheduler())
          .hedging(hedging)
          .build();

  @AfterEach
  void close() {
    mesh.close();
  }

  /** One call whose first attempt takes {@code millis}; returns its backup, if it got one. */
  private @Nullable Attempt call(long millis, boolean askForBackup) {
    MeshCall call = mesh.newCall("reviews", Get.INSTANCE);
    Attempt first = call.startAttempt();
    Attempt backup = null;
    if (askForBackup && call.backupDelayNanos() >= 0) {
      ticker.advanceNanos(call.backupDelayNanos());
      backup = call.startBackup();
      if (backup != null) {
        call.completeHttp(backup, 200);
        call.completeCancelled(first);
        return backup;
      }
    }
    ticker.advance(Duration.ofMillis(millis));
    call.completeHttp(first, 200);
    return null;
  }

  @Test
  void noBackupIsSentUntilTheWindowHoldsOneOverMaxExtraLoadSamples() {
    source.endpoints("reviews", Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80));
    for (int i = 0; i < 19; i++) {
      call(10, false);
    }
    ticker.advance(Duration.ofSeconds(1));
    assertThat(call(10, true)).isNull();
    assertThat(hedging.currentDelayNanos(ServiceName.of("reviews"))).isEqualTo(-1);
  }

  @Test
  void backupsGoOutAtTheLatencyPercentileMatchingTheExtraLoad() {
    source.endpoints("reviews", Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80));
    // 95 calls of 10 ms and 5 of 300 ms: the p95 is 10 ms.
    for (int i = 0; i < 100; i++) {
      call(i % 20 == 19 ? 300 : 10, false);
    }
    ticker.advance(Duration.ofSeconds(1));

    Attempt backup = call(10, true);

    assertThat(hedging.currentDelayNanos(ServiceName.of("reviews")))
        .isBetween(10_000_000L, 10_700_000L);
    assertThat(backup).isNotNull();
    assertThat(backup.isBackup()).isTrue();
  }

  @Test
  void thePolicysOwnBudgetCapsBackupsAtTheExtraLoad() {
    source.endpoints("reviews", Endpoint.of("10.0.0.1", 80), Endpoint.of("10.0.0.2", 80));
    for (int i = 0; i < 100; i++) {
      call(10, false);
    }
    ticker.advance(Duration.ofSeconds(1));
    int backups = 0;
    for (int i = 0; i < 200; i++) {
      if (call(10, true) != null) {
        backups++;
      }
    }
    // 5 % of the 300 calls deposited within the budget's 10 s.
    assertThat(backups).isBetween(14, 15);
  }

  @Test
  void settingsAreValidated() {
    assertThatThrownBy(() -> Hedging.maxExtraLoad(1.0))
        .hasMessage("hedging maxExtraLoad: 1.0 (expected 0 < x < 1)");
    assertThatThrownBy(() -> Hedging.builder().window(Duration.ofSeconds(1), Duration.ofSeconds(2)))
        .hasMessage(
            "hedging window: PT1S, refresh: PT2S (expected window >= 1s and 0 < refresh <= window)");
  }

  private enum Get implements MeshRequest {
    INSTANCE;

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public @Nullable String header(String lowerCaseName) {
      return null;
    }
  }
}
