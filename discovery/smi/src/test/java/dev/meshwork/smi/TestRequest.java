package dev.meshwork.smi;

import dev.meshwork.MeshRequest;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A {@link MeshRequest} for tests: method, path, headers and query parameters. */
record TestRequest(
    String method, String path, Map<String, String> headers, Map<String, String> query)
    implements MeshRequest {

  static TestRequest get(String path) {
    return new TestRequest("GET", path, Map.of(), Map.of());
  }

  static TestRequest of(String method, String path) {
    return new TestRequest(method, path, Map.of(), Map.of());
  }

  TestRequest header(String name, String value) {
    Map<String, String> h = new HashMap<>(headers);
    h.put(name.toLowerCase(java.util.Locale.ROOT), value);
    return new TestRequest(method, path, h, query);
  }

  TestRequest query(String name, String value) {
    Map<String, String> q = new HashMap<>(query);
    q.put(name, value);
    return new TestRequest(method, path, headers, q);
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  @Override
  public @Nullable String queryParameter(String name) {
    return query.get(name);
  }
}
