package dev.meshwork.servlet;

import dev.meshwork.MeshRequest;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * An inbound servlet request as the mesh's access rules see it: method, path (the request URI,
 * without the query), headers and query parameters read from the request without copying. The query
 * is parsed from the query string, never through {@code getParameter}, which could consume a form
 * body the handler needs. Not thread-safe; one per request.
 */
final class ServletRequestView implements MeshRequest {

  private final HttpServletRequest request;

  ServletRequestView(HttpServletRequest request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.getMethod().toUpperCase(Locale.ROOT);
  }

  @Override
  public String path() {
    return request.getRequestURI();
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    return request.getHeader(lowerCaseName);
  }

  @Override
  public @Nullable String queryParameter(String name) {
    String query = request.getQueryString();
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      if (key.equals(name)) {
        return eq < 0 ? "" : decode(pair.substring(eq + 1));
      }
    }
    return null;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return s;
    }
  }
}
