package dev.meshwork;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A {@link MeshRequest} for scenario tests. */
record TestRequest(String method, String path, Map<String, String> headers) implements MeshRequest {

  static TestRequest get(String path) {
    return new TestRequest("GET", path, Map.of());
  }

  static TestRequest post(String path) {
    return new TestRequest("POST", path, Map.of());
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }
}
