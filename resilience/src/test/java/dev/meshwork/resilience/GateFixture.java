package dev.meshwork.resilience;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.RecordingListener;
import dev.meshwork.testing.SeededRandom;

/** A mesh on a fake ticker with a recording listener, for unit tests of gates. */
final class GateFixture implements AutoCloseable {

  final FakeTicker ticker = new FakeTicker();
  final RecordingListener events = new RecordingListener();
  final Mesh mesh =
      Mesh.builder()
          .ticker(ticker)
          .scheduler(ticker.scheduler())
          .random(new SeededRandom(11))
          .listener(events)
          .build();
  final ServiceName service = ServiceName.of("reviews");

  GateReporter reporter(int n) {
    return new GateReporter(service, Endpoint.of("10.0.0." + n, 80), mesh);
  }

  @Override
  public void close() {
    mesh.close();
  }
}
