package dev.meshwork;

import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Carries context across the wire in headers: written into every outbound attempt, read from every
 * inbound request into the {@link MeshContext} the handler runs with. Trace context ({@code
 * traceparent}), an upstream retry's attempt counter and similar values travel this way; the
 * deadline has its own header and is handled by the adapters directly.
 *
 * <p>Adapters call {@link #inject} for each attempt (OkHttp: request headers; gRPC: metadata) and
 * {@link #extract} once per inbound request (servlet filter, gRPC server interceptor). Both run on
 * the request path: implementations must be fast, thread-safe and must not throw. Register them
 * with {@link Mesh.Builder#propagator}; several are called in registration order.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .propagator(new Propagator() {
 *       @Override public void inject(MeshCall call, Attempt attempt, BiConsumer<String, String> headers) {
 *         headers.accept("x-tenant", tenantOf(call));
 *       }
 *     })
 *     .build();
 * }</pre>
 */
public interface Propagator {

  /** Adds headers to an outbound attempt; {@code headers} sets (replaces) one header. */
  default void inject(MeshCall call, Attempt attempt, BiConsumer<String, String> headers) {}

  /**
   * Returns the context an inbound request is handled with: {@code context} (already carrying the
   * caller's deadline) plus whatever this propagator reads from {@code headers} (a lookup by
   * lower-case header name, null when absent).
   */
  default MeshContext extract(MeshContext context, Function<String, @Nullable String> headers) {
    return context;
  }
}
