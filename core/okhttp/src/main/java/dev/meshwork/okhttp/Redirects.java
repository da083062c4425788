package dev.meshwork.okhttp;

import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * Redirect following, done above the mesh so that every follow-up is routed (see {@link
 * MeshOkHttp}). Follows OkHttp's own rules: 300, 301, 302, 303, 307 and 308; 307/308 keep the
 * method and body, the others turn anything but {@code PROPFIND} into a bodiless {@code GET};
 * {@code Authorization} is dropped when the host changes; a scheme change needs {@code
 * followSslRedirects}.
 */
final class Redirects {

  static final int MAX_FOLLOW_UPS = 20;

  private final boolean follow;
  private final boolean followSsl;

  Redirects(boolean follow, boolean followSsl) {
    this.follow = follow;
    this.followSsl = followSsl;
  }

  boolean enabled() {
    return follow;
  }

  /** The follow-up for {@code response} to {@code request} (as the caller wrote it), or null. */
  @Nullable Request followUp(Request request, Response response) {
    int code = response.code();
    boolean keepMethod = code == 307 || code == 308;
    if (!follow || !(keepMethod || (code >= 300 && code <= 303))) {
      return null;
    }
    String location = response.header("Location");
    HttpUrl url = location == null ? null : request.url().resolve(location);
    if (url == null) {
      return null;
    }
    if (!url.scheme().equals(request.url().scheme()) && !followSsl) {
      return null;
    }
    Request.Builder next = request.newBuilder().url(url);
    String method = request.method();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      boolean propfind = method.equals("PROPFIND");
      boolean keepBody = propfind || keepMethod;
      if (!propfind && !keepMethod) {
        next.method("GET", null);
      } else {
        next.method(method, keepBody ? request.body() : null);
      }
      if (!keepBody) {
        next.removeHeader("Transfer-Encoding");
        next.removeHeader("Content-Length");
        next.removeHeader("Content-Type");
      }
    }
    if (!sameOrigin(request.url(), url)) {
      next.removeHeader("Authorization");
    }
    return next.build();
  }

  private static boolean sameOrigin(HttpUrl a, HttpUrl b) {
    return a.host().equals(b.host()) && a.port() == b.port() && a.scheme().equals(b.scheme());
  }
}
