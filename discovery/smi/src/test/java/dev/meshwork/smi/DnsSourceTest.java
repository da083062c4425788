package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.RecordingListener;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DnsSourceTest {

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();
  private final Map<String, List<InetAddress>> records = new ConcurrentHashMap<>();
  private Mesh mesh;

  @AfterEach
  void close() {
    mesh.close();
  }

  private void start() throws Exception {
    DnsSource dns =
        DnsSource.builder()
            .service("reviews", "reviews.example.test", 8080)
            .interval(Duration.ofSeconds(10))
            .executor(Runnable::run)
            .resolver(
                host -> {
                  List<InetAddress> a = records.get(host);
                  if (a == null) {
                    throw new UnknownHostException(host + ": SERVFAIL");
                  }
                  return a;
                })
            .build();
    mesh =
        Mesh.builder()
            .ticker(ticker)
            .scheduler(ticker.scheduler())
            .listener(events)
            .source(dns)
            .build();
    ticker.runDueTasks();
    assertThat(mesh.awaitReady(Duration.ofSeconds(1))).isTrue();
  }

  private static InetAddress ip(String literal) throws UnknownHostException {
    return InetAddress.getByName(literal);
  }

  private List<String> hosts() {
    return mesh.snapshot().endpoints(ServiceName.of("reviews")).stream()
        .map(Endpoint::authority)
        .toList();
  }

  @Test
  void everyAAndAaaaRecordBecomesAnEndpoint() throws Exception {
    records.put("reviews.example.test", List.of(ip("10.0.0.1"), ip("10.0.0.2"), ip("2001:db8::7")));
    start();
    assertThat(hosts())
        .containsExactly("10.0.0.1:8080", "10.0.0.2:8080", "[2001:db8:0:0:0:0:0:7]:8080");
    assertThat(mesh.snapshot().endpoints(ServiceName.of("reviews")).get(0).label("dns"))
        .isEqualTo("reviews.example.test");
  }

  @Test
  void namesAreResolvedAgainOnTheInterval() throws Exception {
    records.put("reviews.example.test", List.of(ip("10.0.0.1")));
    start();
    records.put("reviews.example.test", List.of(ip("10.0.0.3"), ip("10.0.0.4")));
    ticker.advance(Duration.ofSeconds(9));
    assertThat(hosts()).containsExactly("10.0.0.1:8080");
    ticker.advance(Duration.ofSeconds(1));
    assertThat(hosts()).containsExactly("10.0.0.3:8080", "10.0.0.4:8080");
  }

  @Test
  void aFailedLookupKeepsTheLastEndpointsUntilOneSucceeds() throws Exception {
    records.put("reviews.example.test", List.of(ip("10.0.0.1")));
    start();
    records.remove("reviews.example.test");
    ticker.advance(Duration.ofSeconds(10));
    assertThat(hosts()).containsExactly("10.0.0.1:8080");
    assertThat(events.events("sourceFailed")).hasSize(1);

    records.put("reviews.example.test", List.of(ip("10.0.0.9")));
    ticker.advance(Duration.ofSeconds(10));
    assertThat(hosts()).containsExactly("10.0.0.9:8080");
    assertThat(events.events("sourceRecovered")).hasSize(1);
  }
}
