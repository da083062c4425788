package dev.meshwork;

/**
 * Where the mesh learns about the world: SMI files, the Kubernetes API, Consul, DNS, or static
 * configuration. A source watches its origin on its own threads and hands what it sees to the mesh
 * through the {@link SourceContext}; the mesh validates it, keeps the last good state when it is
 * invalid or when the source fails, and compiles it into a new {@link MeshSnapshot}.
 *
 * <p>Sources are registered in priority order: when two configure the same service, or publish
 * endpoints for the same service, the one registered first wins.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(new MyRegistrySource())
 *     .build();
 * mesh.awaitReady(Duration.ofSeconds(5));
 * }</pre>
 */
public interface MeshSource extends AutoCloseable {

  /** A short description for messages, such as {@code consul 127.0.0.1:8500}. */
  String name();

  /**
   * Starts watching. Called once when the mesh is built; must not block. Call {@link
   * SourceContext#ready()} once the first complete view has been published.
   */
  void start(SourceContext context);

  /** Stops watching and releases threads and connections. */
  @Override
  default void close() {}
}
