package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.SeededRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TapTest {

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource();
  private final Instant now = Instant.parse("2026-11-28T10:15:30Z");
  private final Tap tap = Tap.create(Clock.fixed(now, ZoneOffset.UTC));
  private final Mesh mesh =
      Mesh.builder()
          .source(source)
          .listener(tap)
          .ticker(ticker)
          .random(new SeededRandom(5))
          .build();
  private final Endpoint a = Endpoint.of("10.0.0.1", 80);
  private final Endpoint b = Endpoint.of("10.0.0.2", 80);

  /** One GET to reviews that gets {@code statuses} in turn, each attempt taking 3 ms. */
  private void call(String path, int... statuses) {
    MeshCall call = mesh.newCall("reviews", TestRequest.get(path));
    for (int status : statuses) {
      Attempt attempt = call.startAttempt();
      ticker.advance(Duration.ofMillis(3));
      if (call.completeHttp(attempt, status) != RetryDecision.RETRY) {
        return;
      }
    }
  }

  @Test
  void subscribersSeeEveryAttemptTheirFilterAccepts() {
    source.endpoints("reviews", a, b);
    Tap.Subscription all = tap.subscribe(e -> true, 10);
    Tap.Subscription failures = tap.subscribe(e -> e.result().isFailure(), 10);

    call("/books/1", 503, 200);

    List<TapEvent> seen = new ArrayList<>();
    assertThat(all.drainTo(seen)).isEqualTo(2);
    TapEvent retry = seen.get(1);
    assertThat(seen.get(0).status()).isEqualTo("503");
    assertThat(seen.get(0).result()).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
    assertThat(retry.direction()).isEqualTo(TapEvent.Direction.OUTBOUND);
    assertThat(retry.service()).isEqualTo(ServiceName.of("reviews"));
    assertThat(retry.route()).isEqualTo("default");
    assertThat(retry.backend()).isEqualTo("reviews.default");
    assertThat(retry.endpoint()).isIn(a, b).isNotEqualTo(seen.get(0).endpoint());
    assertThat(retry.attempt()).isEqualTo(2);
    assertThat(retry.httpStatus()).isEqualTo(200);
    assertThat(retry.latencyNanos()).isEqualTo(3_000_000L);
    assertThat(retry.timestamp()).isEqualTo(now);
    assertThat(retry.toString())
        .isEqualTo(
            "OUTBOUND GET reviews.default/books/1 route=default backend=reviews.default endpoint="
                + retry.endpoint().authority()
                + " attempt=2 status=200 SUCCESS 3.000ms");
    assertThat(failures.poll()).extracting(TapEvent::status).isEqualTo("503");
    assertThat(failures.poll()).isNull();
  }

  @Test
  void aFullSubscriptionDropsAndCountsWhatItCannotHold() {
    source.endpoints("reviews", a);
    Tap.Subscription slow = tap.subscribe(e -> true, 2);

    for (int i = 0; i < 5; i++) {
      call("/" + i, 200);
    }

    assertThat(slow.buffered()).isEqualTo(2);
    assertThat(slow.dropped()).isEqualTo(3);
    assertThat(slow.poll()).extracting(TapEvent::path).isEqualTo("/0");
    call("/5", 200);
    assertThat(slow.dropped()).isEqualTo(3);
    List<TapEvent> rest = new ArrayList<>();
    slow.drainTo(rest);
    assertThat(rest).extracting(TapEvent::path).containsExactly("/1", "/5");
  }

  @Test
  void callsTheMeshEndsItselfAreTappedWithTheMeshsReason() {
    source.config(MeshConfig.builder().service(ServiceConfig.builder("reviews").build()).build());
    Tap.Subscription all = tap.subscribe(e -> true, 10);

    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    assertThatThrownBy(call::startAttempt).isInstanceOf(NoHealthyEndpointsException.class);

    TapEvent e = all.poll();
    assertThat(e).isNotNull();
    assertThat(e.endpoint()).isNull();
    assertThat(e.attempt()).isZero();
    assertThat(e.result()).isEqualTo(ResponseClass.FAILURE);
    assertThat(e.status()).isEqualTo("no healthy endpoints for reviews.default (0 known)");
  }

  @Test
  void inboundRequestsAreTappedWithTheirPeer() {
    Tap.Subscription inbound = tap.subscribe(e -> e.direction() == TapEvent.Direction.INBOUND, 10);
    SpiffeId peer = SpiffeId.kubernetes("cluster.local", "shop", "cart");

    InboundCall started =
        InboundCall.start(mesh, InboundCall.Protocol.GRPC, "POST", "/shop.Cart/Pay", peer, null);
    ticker.advance(Duration.ofMillis(12));
    started.endGrpc(14);

    TapEvent e = inbound.poll();
    assertThat(e).isNotNull();
    assertThat(e.peer()).isEqualTo(peer);
    assertThat(e.grpcCode()).isEqualTo(14);
    assertThat(e.result()).isEqualTo(ResponseClass.RETRYABLE_FAILURE);
    assertThat(e.toString())
        .isEqualTo(
            "INBOUND POST /shop.Cart/Pay peer="
                + peer
                + " status=grpc 14 RETRYABLE_FAILURE 12.000ms");
  }

  @Test
  void aFilterThatThrowsRejectsTheEventWithoutBreakingTheCall() {
    source.endpoints("reviews", a);
    Tap.Subscription broken =
        tap.subscribe(
            e -> {
              throw new IllegalStateException("bad filter");
            },
            10);

    call("/", 200);

    assertThat(broken.poll()).isNull();
    assertThat(broken.dropped()).isZero();
  }

  @Test
  void aClosedSubscriptionReceivesNothingMoreAndWakesItsWaiter() throws Exception {
    source.endpoints("reviews", a);
    Tap.Subscription s = tap.subscribe(e -> true, 10);
    CompletableFuture<TapEvent> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return s.poll(Duration.ofMinutes(5));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });

    s.close();

    assertThat(waiting.get(30, TimeUnit.SECONDS)).isNull();
    assertThat(tap.subscriberCount()).isZero();
    call("/", 200);
    assertThat(s.poll()).isNull();
  }

  @Test
  void aWaitingPollReturnsTheNextEvent() throws Exception {
    source.endpoints("reviews", a);
    Tap.Subscription s = tap.subscribe(e -> true, 10);
    CompletableFuture<TapEvent> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return s.poll(Duration.ofMinutes(5));
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });

    call("/waited", 200);

    assertThat(waiting.get(30, TimeUnit.SECONDS).path()).isEqualTo("/waited");
  }

  @Test
  void capacityIsBounded() {
    assertThatThrownBy(() -> tap.subscribe(e -> true, 0))
        .hasMessage("tap capacity: 0 (expected 1..100000)");
    assertThatThrownBy(() -> tap.subscribe(e -> true, Tap.MAX_CAPACITY + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
