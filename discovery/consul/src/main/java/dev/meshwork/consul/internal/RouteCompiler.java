package dev.meshwork.consul.internal;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.meshwork.PathRewrite;
import dev.meshwork.RequestMatch;
import dev.meshwork.RetryPolicy;
import dev.meshwork.StringMatch;
import dev.meshwork.consul.internal.ServiceRouter.Destination;
import dev.meshwork.consul.internal.ServiceRouter.HttpMatch;
import dev.meshwork.consul.internal.ServiceRouter.ValueMatch;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Compiles the parts of a service-router route that map one to one onto core: {@code Match.HTTP}
 * into a {@link RequestMatch} (regexes with RE2/J, full match as Envoy does), {@code PrefixRewrite}
 * into a {@link PathRewrite}, and the retry fields of a {@code Destination} into a {@link
 * RetryPolicy}.
 */
final class RouteCompiler {

  private RouteCompiler() {}

  /**
   * @param h where {@code http} was written ({@code Routes[0].Match.HTTP}), for errors
   */
  static RequestMatch match(HttpMatch http, Json h) {
    RequestMatch.Builder b = RequestMatch.builder();
    if (!http.pathExact().isEmpty()) {
      b.path(StringMatch.exact(http.pathExact()));
    } else if (!http.pathPrefix().isEmpty()) {
      b.path(StringMatch.prefix(http.pathPrefix()));
    } else if (!http.pathRegex().isEmpty()) {
      b.path(regex(http.pathRegex(), h.field("PathRegex")));
    }
    if (!http.methods().isEmpty()) {
      b.methods(http.methods().toArray(new String[0]));
    }
    for (ValueMatch v : http.headers()) {
      b.header(v.name(), valueMatch(v));
    }
    for (ValueMatch v : http.queryParams()) {
      b.queryParameter(v.name(), valueMatch(v));
    }
    return b.build();
  }

  private static StringMatch valueMatch(ValueMatch v) {
    StringMatch m;
    if (v.present()) {
      m = StringMatch.present();
    } else if (v.exact() != null) {
      m = StringMatch.exact(v.exact());
    } else if (v.prefix() != null) {
      m = StringMatch.prefix(v.prefix());
    } else if (v.suffix() != null) {
      m = StringMatch.suffix(v.suffix());
    } else {
      m = regex(v.regex() == null ? "" : v.regex(), v.at().field("Regex"));
    }
    return v.invert() ? m.inverted() : m;
  }

  /** An RE2 pattern matched against the whole value. */
  static StringMatch regex(String pattern, Json at) {
    try {
      Pattern p = Pattern.compile(pattern);
      return StringMatch.regex(pattern, s -> p.matches(s));
    } catch (PatternSyntaxException e) {
      throw at.error("an RE2 regular expression (" + e.getDescription() + ")");
    }
  }

  /**
   * The destination's {@code PrefixRewrite}, or null. Envoy swaps the matched part of the path: the
   * {@code PathPrefix} (core replaces it segment by segment, so {@code /admin} rewrites {@code
   * /admin/x} but not {@code /administrator}, and never leaves a doubled slash where Envoy would),
   * or the whole path for {@code PathExact}.
   */
  static @Nullable PathRewrite pathRewrite(HttpMatch match, Destination d) {
    if (d.prefixRewrite().isEmpty()) {
      return null;
    }
    if (!match.pathExact().isEmpty()) {
      return PathRewrite.replaceFull(d.prefixRewrite());
    }
    return PathRewrite.replacePrefix(match.pathPrefix(), d.prefixRewrite());
  }

  /**
   * The route's retry policy, or null when the destination sets no retry field (the mesh's default
   * applies). As Consul configures Envoy: {@code NumRetries} retries on top of the first attempt
   * (Envoy's default of one retry when only conditions are given); statuses from {@code
   * RetryOnStatusCodes} and {@code RetryOn}.
   *
   * <p>Requests that could not be sent at all (connection refused, no route) are retried only when
   * Consul would have Envoy retry them: {@code RetryOnConnectFailure} (false by default in Consul)
   * or a {@code RetryOn} condition that covers connection failures ({@code connect-failure}, {@code
   * reset}, {@code 5xx}, {@code gateway-error}). So a route that sets only {@code NumRetries} or
   * {@code RetryOnStatusCodes} does not retry connection failures, unlike the mesh's default
   * policy.
   */
  static @Nullable RetryPolicy retryPolicy(Destination d, Json at, Consumer<String> warn) {
    boolean conditions =
        d.retryOnConnectFailure() || !d.retryOnStatusCodes().isEmpty() || !d.retryOn().isEmpty();
    if (d.numRetries() == 0 && !conditions) {
      return null;
    }
    TreeSet<Integer> statuses = new TreeSet<>(d.retryOnStatusCodes());
    TreeSet<Integer> grpc = new TreeSet<>();
    boolean connectFailures = d.retryOnConnectFailure();
    for (String on : d.retryOn()) {
      switch (on) {
        case "5xx":
          for (int s = 500; s <= 599; s++) {
            statuses.add(s);
          }
          connectFailures = true;
          break;
        case "gateway-error":
          statuses.addAll(List.of(502, 503, 504));
          connectFailures = true;
          break;
        case "connect-failure":
        case "reset":
          connectFailures = true;
          break;
        case "retriable-4xx":
          statuses.add(409);
          break;
        case "cancelled":
          grpc.add(1);
          break;
        case "deadline-exceeded":
          grpc.add(4);
          break;
        case "resource-exhausted":
          grpc.add(8);
          break;
        case "internal":
          grpc.add(13);
          break;
        case "unavailable":
          grpc.add(14);
          break;
        case "envoy-ratelimited":
          warn.accept(
              at.origin()
                  + ": "
                  + at.path()
                  + ".RetryOn: \"envoy-ratelimited\" has no meaning"
                  + " without Envoy's rate limiter and is ignored");
          break;
        default: // refused-stream: an HTTP/2 stream the server refused, a retryable failure
          break;
      }
    }
    RetryPolicy.Builder b = RetryPolicy.builder().retryConnectFailures(connectFailures);
    int retries = d.numRetries() == 0 ? 1 : d.numRetries();
    b.maxAttempts(Math.min(retries + 1, 100));
    if (!statuses.isEmpty() || !d.retryOn().isEmpty() || d.retryOnConnectFailure()) {
      b.retryHttpStatuses(statuses.stream().mapToInt(Integer::intValue).toArray());
      b.retryGrpcCodes(grpc.stream().mapToInt(Integer::intValue).toArray());
    }
    return b.build();
  }
}
