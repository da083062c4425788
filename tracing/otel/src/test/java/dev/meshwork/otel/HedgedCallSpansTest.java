package dev.meshwork.otel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshRequest;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A hedged call, driven through the mesh's call API as an adapter drives it: its backup is a second
 * attempt span under the same call span, marked as a backup rather than a resend.
 */
class HedgedCallSpansTest {

  private final Traces traces = new Traces();
  private final InMemorySource source = new InMemorySource();
  private @Nullable Mesh mesh;

  @AfterEach
  void close() {
    if (mesh != null) {
      mesh.close();
    }
    traces.close();
  }

  private static final MeshRequest GET =
      new MeshRequest() {
        @Override
        public String method() {
          return "GET";
        }

        @Override
        public String path() {
          return "/reviews/1";
        }

        @Override
        public @Nullable String header(String lowerCaseName) {
          return null;
        }
      };

  @Test
  void aBackupIsASecondAttemptSpanMarkedAsABackupNotAResend() {
    Mesh m =
        MeshTracing.create(traces.openTelemetry)
            .install(
                Mesh.builder()
                    .source(source)
                    .ticker(new FakeTicker())
                    .hedging(call -> 1_000_000)) // backup after 1 ms
            .build();
    mesh = m;
    source.endpoints("reviews", Endpoint.of("10.0.0.1", 8080), Endpoint.of("10.0.0.2", 8080));

    MeshCall call = m.newCall("reviews", GET);
    Attempt first = call.startAttempt();
    Attempt backup = call.startBackup();
    assertThat(backup).isNotNull();
    call.completeHttp(backup, 200); // the backup answers first and wins
    call.completeCancelled(first); // the original is cancelled

    List<SpanData> spans = traces.awaitSpans(3);
    SpanData callSpan = Traces.roots(spans).get(0);
    List<SpanData> attempts = Traces.childrenOf(spans, callSpan);
    assertThat(attempts).hasSize(2);
    AttributeKey<Boolean> backupKey = AttributeKey.booleanKey("meshwork.backup");
    AttributeKey<Long> resends = AttributeKey.longKey("http.request.resend_count");
    SpanData backupSpan =
        attempts.stream().filter(s -> s.getAttributes().get(backupKey) != null).findFirst().get();
    assertThat(backupSpan.getAttributes().get(backupKey)).isTrue();
    assertThat(backupSpan.getAttributes().get(resends)).isNull();
    assertThat(backupSpan.getAttributes().get(AttributeKey.stringKey("meshwork.endpoint")))
        .isEqualTo(backup.endpoint().authority())
        .isNotEqualTo(first.endpoint().authority());
    assertThat(attempts).filteredOn(s -> s.getAttributes().get(backupKey) == null).hasSize(1);
  }
}
