package dev.meshwork;

/**
 * Creates the {@link ConcurrencyLimit} of each destination service, the first time a call to it
 * starts; the mesh keeps it for the mesh's life. Register one with {@link
 * Mesh.Builder#concurrencyLimits}. Must be thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder().concurrencyLimits(ConcurrencyLimits.fixed(64)).build();
 * }</pre>
 */
@FunctionalInterface
public interface ConcurrencyLimitFactory {

  ConcurrencyLimit create(ServiceName service, Mesh mesh);
}
