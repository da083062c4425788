package dev.meshwork.grpc;

import dev.meshwork.HeaderModifier;
import dev.meshwork.MeshRequest;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * An RPC as the mesh sees it: method {@code POST}, path {@code /package.Service/Method}, headers
 * read from the call's {@link Metadata} without copying. Routes therefore match RPCs exactly as
 * they match HTTP requests.
 *
 * <p>Whether a retryable status is retried is the retry policy's decision, as in gRPC's own retry
 * design (gRFC A6), so every RPC counts as idempotent; only unary and server-streaming RPCs are
 * replayable (their single request message is kept until the call commits).
 */
final class GrpcRequest implements MeshRequest {

  private static final ConcurrentHashMap<String, String> PATHS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, Metadata.Key<String>> KEYS =
      new ConcurrentHashMap<>();

  private final String path;
  private final Metadata headers;
  private final boolean replayable;

  GrpcRequest(MethodDescriptor<?, ?> method, Metadata headers) {
    this.path = path(method);
    this.headers = headers;
    this.replayable = isReplayable(method.getType());
  }

  static String path(MethodDescriptor<?, ?> method) {
    String name = method.getFullMethodName();
    String p = PATHS.get(name);
    if (p == null) {
      p = "/" + name;
      if (PATHS.size() < 10_000) {
        PATHS.put(name, p);
      }
    }
    return p;
  }

  static boolean isReplayable(MethodDescriptor.MethodType type) {
    return type == MethodDescriptor.MethodType.UNARY
        || type == MethodDescriptor.MethodType.SERVER_STREAMING;
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    Metadata.Key<String> key = key(lowerCaseName);
    return key == null ? null : headers.get(key);
  }

  static Metadata.@Nullable Key<String> key(String lowerCaseName) {
    if (lowerCaseName.endsWith(Metadata.BINARY_HEADER_SUFFIX) || lowerCaseName.startsWith(":")) {
      return null;
    }
    Metadata.Key<String> key = KEYS.get(lowerCaseName);
    if (key == null) {
      try {
        key = Metadata.Key.of(lowerCaseName, Metadata.ASCII_STRING_MARSHALLER);
      } catch (IllegalArgumentException e) {
        return null; // not a legal gRPC header name, so no RPC carries it
      }
      if (KEYS.size() < 10_000) {
        KEYS.put(lowerCaseName, key);
      }
    }
    return key;
  }

  /** Sets (replaces) one header, as propagators do; names gRPC cannot carry are skipped. */
  static void set(Metadata headers, String name, String value) {
    Metadata.Key<String> key = key(name.toLowerCase(java.util.Locale.ROOT));
    if (key != null) {
      headers.discardAll(key);
      headers.put(key, value);
    }
  }

  @Override
  public boolean idempotent() {
    return true;
  }

  @Override
  public boolean replayable() {
    return replayable;
  }

  /** The route's header changes, once; every attempt sends the same headers. */
  static void applyRouteHeaders(HeaderModifier m, Metadata headers) {
    if (m.isEmpty()) {
      return;
    }
    for (String name : m.remove()) {
      Metadata.Key<String> key = GrpcRequest.key(name);
      if (key != null) {
        headers.discardAll(key);
      }
    }
    for (Map.Entry<String, String> e : m.set().entrySet()) {
      Metadata.Key<String> key = GrpcRequest.key(e.getKey());
      if (key != null) {
        headers.discardAll(key);
        headers.put(key, e.getValue());
      }
    }
    for (Map.Entry<String, String> e : m.add()) {
      Metadata.Key<String> key = GrpcRequest.key(e.getKey());
      if (key != null) {
        headers.put(key, e.getValue());
      }
    }
  }

  @Override
  public String toString() {
    return "POST " + path;
  }
}
