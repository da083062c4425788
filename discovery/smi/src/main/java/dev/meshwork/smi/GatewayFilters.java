package dev.meshwork.smi;

import dev.meshwork.HeaderModifier;
import dev.meshwork.PathRewrite;
import org.jspecify.annotations.Nullable;

/**
 * The filters of one Gateway API rule that the mesh applies to the requests it sends: {@code
 * RequestHeaderModifier}, and on HTTPRoutes {@code URLRewrite}'s path ({@code ReplaceFullPath}, or
 * {@code ReplacePrefixMatch}, which replaces the PathPrefix each match of the rule matched, so it
 * is resolved per match). Any other filter, and a hostname rewrite (the mesh addresses the backend
 * Service, not a host), is a configuration error naming the field. Immutable.
 */
final class GatewayFilters {

  private final HeaderModifier headers;
  private final @Nullable Node path;

  private GatewayFilters(HeaderModifier headers, @Nullable Node path) {
    this.headers = headers;
    this.path = path;
  }

  /**
   * @param grpc whether the rule is a GRPCRoute's, which has no URLRewrite filter
   */
  static GatewayFilters parse(Node filters, boolean grpc) {
    HeaderModifier.Builder headers = HeaderModifier.builder();
    Node path = null;
    for (Node f : filters.items()) {
      String expected =
          grpc
              ? "RequestHeaderModifier (the only filter the mesh applies)"
              : "RequestHeaderModifier or URLRewrite (the filters the mesh applies)";
      String type = f.get("type").text(expected);
      if (type.equals("RequestHeaderModifier")) {
        headerModifier(f.get("requestHeaderModifier"), headers);
      } else if (type.equals("URLRewrite") && !grpc) {
        Node rewrite = f.get("urlRewrite");
        if (!rewrite.get("hostname").isMissing()) {
          throw rewrite
              .get("hostname")
              .error(
                  "no hostname rewrite (the mesh sends to the backend Service; only path"
                      + " rewrites are applied)");
        }
        if (path != null && !rewrite.get("path").isMissing()) {
          throw f.get("type").error("at most one URLRewrite per rule");
        }
        if (!rewrite.get("path").isMissing()) {
          path = rewrite.get("path");
          check(path, null);
        }
      } else {
        throw f.get("type").error(expected);
      }
    }
    return new GatewayFilters(headers.build(), path);
  }

  private static void headerModifier(Node m, HeaderModifier.Builder b) {
    try {
      for (Node h : m.get("set").items()) {
        b.set(h.get("name").text("a header name"), h.get("value").text("a value"));
      }
      for (Node h : m.get("add").items()) {
        b.add(h.get("name").text("a header name"), h.get("value").text("a value"));
      }
      for (Node h : m.get("remove").items()) {
        b.remove(h.text("a header name"));
      }
    } catch (IllegalArgumentException e) {
      throw m.error("header names without spaces or ':'", e);
    }
  }

  HeaderModifier headers() {
    return headers;
  }

  /**
   * The path rewrite of requests taken by one match of the rule, or null.
   *
   * @param matchType the match's path type ({@code PathPrefix}, {@code Exact}, ...)
   * @param matchValue the match's path
   */
  @Nullable PathRewrite pathRewrite(String matchType, String matchValue) {
    return path == null ? null : check(path, matchType.equals("PathPrefix") ? matchValue : "");
  }

  /**
   * Reads {@code urlRewrite.path}. With {@code prefix} null, only checks it; with a prefix (empty
   * when the match is not a PathPrefix), builds the rewrite.
   */
  private static @Nullable PathRewrite check(Node path, @Nullable String prefix) {
    String type = path.get("type").text("ReplaceFullPath or ReplacePrefixMatch");
    switch (type) {
      case "ReplaceFullPath":
        return PathRewrite.replaceFull(absolute(path.get("replaceFullPath")));
      case "ReplacePrefixMatch":
        String replacement = absolute(path.get("replacePrefixMatch"));
        if (prefix == null) {
          return null;
        }
        if (prefix.isEmpty()) {
          throw path.get("type")
              .error(
                  "ReplaceFullPath (ReplacePrefixMatch needs every match of the rule to be a"
                      + " PathPrefix match)");
        }
        return PathRewrite.replacePrefix(prefix, replacement);
      default:
        throw path.get("type").error("ReplaceFullPath or ReplacePrefixMatch");
    }
  }

  private static String absolute(Node value) {
    String path = value.text("a path starting with /");
    if (!path.startsWith("/")) {
      throw value.error("a path starting with /");
    }
    return path;
  }
}
