package dev.meshwork.tls;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.X509Identity;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.util.function.Consumer;

/**
 * One workload of an end-to-end test: its own identity, {@link MeshTls} and {@link Mesh}, with an
 * in-memory source for the endpoints it calls. Close it when done.
 */
final class MeshWorkload implements AutoCloseable {

  final ManualIdentitySource identity = new ManualIdentitySource();
  final InMemorySource source = new InMemorySource();
  final RecordingListener events = new RecordingListener();
  final MeshTls tls;
  final Mesh mesh;

  MeshWorkload(
      X509Identity id, Consumer<MeshTls.Builder> tlsConfig, Consumer<Mesh.Builder> meshConfig) {
    MeshTls.Builder t = MeshTls.builder(identity);
    tlsConfig.accept(t);
    tls = t.build();
    Mesh.Builder m = Mesh.builder().source(source).listener(events).transportSecurity(tls);
    meshConfig.accept(m);
    mesh = m.build();
    identity.push(id);
  }

  MeshWorkload(X509Identity id) {
    this(id, t -> {}, m -> {});
  }

  MeshWorkload endpoints(String service, Endpoint... endpoints) {
    source.endpoints(service, endpoints);
    return this;
  }

  @Override
  public void close() {
    mesh.close();
  }
}
