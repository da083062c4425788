package dev.meshwork;

import java.util.Objects;

/**
 * Rewrites a request's path before it is sent, as Gateway API's {@code URLRewrite} filter and
 * Consul's {@code PrefixRewrite} do: replace a leading prefix, or the whole path. The route still
 * matches on the path the application sent; only the outgoing request changes.
 *
 * <p>Immutable.
 *
 * <pre>{@code
 * Route admin = Route.builder()
 *     .match(RequestMatch.builder().path(StringMatch.prefix("/admin")).build())
 *     .backends(Backend.of("admin", 1))
 *     .pathRewrite(PathRewrite.replacePrefix("/admin", "/"))   // /admin/users -> /users
 *     .build();
 * }</pre>
 */
public final class PathRewrite {

  private final String prefix;
  private final String replacement;
  private final boolean full;

  private PathRewrite(String prefix, String replacement, boolean full) {
    this.prefix = prefix;
    this.replacement = replacement;
    this.full = full;
  }

  /**
   * Replaces {@code prefix} at the start of the path by {@code replacement}; paths without the
   * prefix are left alone. Matching is by path segment: {@code /admin} applies to {@code /admin}
   * and {@code /admin/x}, not {@code /administrator}. No doubled or missing slash results.
   */
  public static PathRewrite replacePrefix(String prefix, String replacement) {
    return new PathRewrite(
        checkPath(prefix, "prefix"), checkPath(replacement, "replacement"), false);
  }

  /** Replaces the whole path by {@code path}. */
  public static PathRewrite replaceFull(String path) {
    return new PathRewrite("", checkPath(path, "path"), true);
  }

  private static String checkPath(String value, String what) {
    if (!Objects.requireNonNull(value, what).startsWith("/")) {
      throw new IllegalArgumentException(
          "path rewrite " + what + ": \"" + value + "\" (expected a path starting with '/')");
    }
    return value;
  }

  /** The rewritten path; the same instance when nothing changes. */
  public String apply(String path) {
    if (full) {
      return replacement;
    }
    String p =
        prefix.endsWith("/") && prefix.length() > 1
            ? prefix.substring(0, prefix.length() - 1)
            : prefix;
    if (!path.startsWith(p)) {
      return path;
    }
    String rest = path.substring(p.length());
    if (!rest.isEmpty() && rest.charAt(0) != '/' && !p.equals("/")) {
      return path; // "/admin" must not rewrite "/administrator"
    }
    if (p.equals("/")) {
      rest = path.substring(1);
      return replacement.endsWith("/") ? replacement + rest : join(replacement, rest);
    }
    if (rest.isEmpty()) {
      return replacement;
    }
    String base =
        replacement.endsWith("/")
            ? replacement.substring(0, replacement.length() - 1)
            : replacement;
    return base + rest;
  }

  private static String join(String base, String rest) {
    return rest.isEmpty() ? base : base + "/" + rest;
  }

  public boolean isFull() {
    return full;
  }

  /** The prefix replaced; empty for a full replacement. */
  public String prefix() {
    return prefix;
  }

  public String replacement() {
    return replacement;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PathRewrite
        && ((PathRewrite) o).full == full
        && ((PathRewrite) o).prefix.equals(prefix)
        && ((PathRewrite) o).replacement.equals(replacement);
  }

  @Override
  public int hashCode() {
    return Objects.hash(prefix, replacement, full);
  }

  @Override
  public String toString() {
    return full ? "path -> " + replacement : "prefix " + prefix + " -> " + replacement;
  }
}
