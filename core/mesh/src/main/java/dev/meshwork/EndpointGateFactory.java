package dev.meshwork;

/**
 * Creates the {@link EndpointGate} of each endpoint when it first appears. Runs on the mesh's
 * control thread, never on the request path.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().gates((service, endpoint) -> new MyBreaker()).build();
 * }</pre>
 */
@FunctionalInterface
public interface EndpointGateFactory {

  EndpointGate create(ServiceName service, Endpoint endpoint);
}
