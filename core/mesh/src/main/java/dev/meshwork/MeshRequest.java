package dev.meshwork;

import org.jspecify.annotations.Nullable;

/**
 * A read-only, protocol-neutral view of one logical request, which adapters implement over their
 * native request without copying. Routes match against it; retries ask it whether it is safe to
 * send again.
 *
 * <p>For gRPC the method is {@code POST} and the path is {@code /package.Service/Method}, so routes
 * match RPCs the way they match HTTP paths.
 */
public interface MeshRequest {

  /** The HTTP method in upper case ({@code GET}); {@code POST} for gRPC. */
  String method();

  /** The path without the query, starting with {@code /}. */
  String path();

  /** The first value of the header named {@code lowerCaseName}, or null. */
  @Nullable String header(String lowerCaseName);

  /** The first value of the query parameter, or null. */
  default @Nullable String queryParameter(String name) {
    return null;
  }

  /**
   * Whether sending the request twice has the same effect as sending it once. By default the
   * idempotent HTTP methods of RFC 9110 (GET, HEAD, OPTIONS, TRACE, PUT, DELETE).
   */
  default boolean idempotent() {
    return isIdempotentMethod(method());
  }

  /** Whether the request's body can be sent again (false for a one-shot stream). */
  default boolean replayable() {
    return true;
  }

  /** Whether {@code method} is idempotent by RFC 9110. */
  static boolean isIdempotentMethod(String method) {
    switch (method) {
      case "GET":
      case "HEAD":
      case "OPTIONS":
      case "TRACE":
      case "PUT":
      case "DELETE":
        return true;
      default:
        return false;
    }
  }
}
