package dev.meshwork;

/**
 * Creates the {@link EndpointGate} of each endpoint when it first appears. Runs on the mesh's
 * control thread, never on the request path. The mesh is passed in so that gates can use its {@link
 * Mesh#ticker() ticker}, {@link Mesh#random() random source}, {@link Mesh#scheduler() scheduler}
 * and report state changes to its {@link Mesh#listener() listener}.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().gates((service, endpoint, m) -> new MyBreaker(m.ticker())).build();
 * }</pre>
 */
@FunctionalInterface
public interface EndpointGateFactory {

  EndpointGate create(ServiceName service, Endpoint endpoint, Mesh mesh);
}
