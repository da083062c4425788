package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.RecordingListener;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InboundCallTest {

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().listener(events).ticker(ticker).build();
  private final SpiffeId peer = SpiffeId.kubernetes("cluster.local", "shop", "cart");

  @Test
  void anInboundHttpCallIsReportedWithItsClassificationAndLatency() {
    InboundCall started =
        InboundCall.start(mesh, InboundCall.Protocol.HTTP, "GET", "/books/1", peer, null);
    ticker.advance(Duration.ofMillis(7));
    InboundCall ended = started.endHttp(503);

    assertThat(started.isEnded()).isFalse();
    assertThat(ended.result()).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
    assertThat(ended.latencyNanos()).isEqualTo(7_000_000L);
    assertThat(ended.peer()).isEqualTo(peer);
    assertThat(ended.grpcService()).isNull();
    assertThat(events.events())
        .containsExactly(
            "inboundStarted GET /books/1", "inboundEnded GET /books/1 RETRYABLE_FAILURE 503");
    assertThat(events.inbound()).containsExactly(ended);
  }

  @Test
  void anInboundGrpcCallNamesItsServiceAndMethod() {
    InboundCall ended =
        InboundCall.start(
                mesh, InboundCall.Protocol.GRPC, "POST", "/shop.Cart/Checkout", null, null)
            .endGrpc(5);

    assertThat(ended.grpcService()).isEqualTo("shop.Cart");
    assertThat(ended.grpcMethod()).isEqualTo("Checkout");
    assertThat(ended.grpcCode()).isEqualTo(5);
    assertThat(ended.result()).isEqualTo(ResponseClass.SUCCESS);
  }

  @Test
  void anInboundCallEndsOnlyOnce() {
    InboundCall started =
        InboundCall.start(mesh, InboundCall.Protocol.HTTP, "GET", "/", null, null);
    InboundCall ended = started.endError(new IOException("reset"));

    assertThat(ended.result()).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
    assertThatThrownBy(() -> ended.endHttp(200)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void attachmentsAreSharedByTheStartedAndTheEndedView() throws Exception {
    MeshContext.Key<String> span = MeshContext.Key.named("span");
    MeshContext.Key<Integer> other = MeshContext.Key.named("other");
    InboundCall started =
        InboundCall.start(mesh, InboundCall.Protocol.HTTP, "GET", "/", null, null);
    started.attach(span, "server-span");
    InboundCall[] ended = new InboundCall[1];
    // The adapters often end a call on another thread than the one that started it.
    Thread t = new Thread(() -> ended[0] = started.endHttp(200));
    t.start();
    t.join();
    ended[0].attach(other, 7);
    started.attach(span, "replaced");

    assertThat(ended[0].attachment(span)).isEqualTo("replaced");
    assertThat(started.attachment(other)).isEqualTo(7);
    assertThat(started.attachment(MeshContext.Key.<String>named("span"))).isNull();
  }
}
