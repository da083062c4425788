package dev.meshwork.otel;

import dev.meshwork.Attempt;
import dev.meshwork.Endpoint;
import dev.meshwork.InboundCall;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshRequest;
import dev.meshwork.ResponseClass;
import dev.meshwork.RetryDecision;
import dev.meshwork.SpiffeId;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.RpcAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import java.util.Locale;

/**
 * How mesh events become span names and attributes: OpenTelemetry's HTTP and RPC semantic
 * conventions (keys from {@code opentelemetry-semconv}) plus the mesh's own {@code meshwork.*}
 * attributes. One place, so client, attempt and server spans describe requests alike.
 */
final class SpanConventions {

  static final AttributeKey<String> SERVICE = AttributeKey.stringKey("meshwork.service");
  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("meshwork.route");
  static final AttributeKey<String> BACKEND = AttributeKey.stringKey("meshwork.backend");
  static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("meshwork.endpoint");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("meshwork.attempt");
  static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("meshwork.attempts");
  static final AttributeKey<Boolean> BACKUP = AttributeKey.booleanKey("meshwork.backup");
  static final AttributeKey<String> CLASSIFICATION =
      AttributeKey.stringKey("meshwork.classification");
  static final AttributeKey<String> DECISION = AttributeKey.stringKey("meshwork.decision");
  static final AttributeKey<String> PEER_IDENTITY =
      AttributeKey.stringKey("meshwork.peer_identity");

  private static final String[] CLASSIFICATIONS = lowerCaseNames(ResponseClass.values());
  private static final String[] DECISIONS = lowerCaseNames(RetryDecision.values());

  private SpanConventions() {}

  /** HTTP's span name is the method; an RPC's is renamed when its status shows it is one. */
  static String clientSpanName(MeshRequest request) {
    String method = httpMethod(request.method());
    return method.equals("_OTHER") ? "HTTP" : method;
  }

  /**
   * The logical call's attributes a sampler may decide on, set on the builder: the method, the
   * service addressed. The rest is set by {@link #detailCall} once the span records, so unsampled
   * spans cost as little as they can.
   */
  static void describeCall(SpanBuilder span, MeshCall call) {
    String method = call.request().method();
    String known = httpMethod(method);
    span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, known);
    if (!known.equals(method)) {
      span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD_ORIGINAL, method);
    }
    span.setAttribute(ServerAttributes.SERVER_ADDRESS, call.service().toString());
  }

  /** The call's mesh attributes: which service, route and backend. */
  static void detailCall(Span span, MeshCall call) {
    if (span.isRecording()) {
      span.setAttribute(SERVICE, call.service().toString());
      span.setAttribute(ROUTE, call.route().name());
      span.setAttribute(BACKEND, call.backend().name());
    }
  }

  /** An attempt's sampling-relevant attributes: the method and the endpoint it goes to. */
  static void describeAttempt(SpanBuilder span, MeshCall call, Attempt attempt) {
    Endpoint e = attempt.endpoint();
    span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, httpMethod(call.request().method()));
    span.setAttribute(ServerAttributes.SERVER_ADDRESS, e.host());
    span.setAttribute(ServerAttributes.SERVER_PORT, (long) e.port());
  }

  /**
   * The rest of an attempt's attributes: backend, endpoint, which try it is. (The service is on the
   * parent call span; the endpoint's address is also {@code server.address}.)
   */
  static void detailAttempt(Span span, MeshCall call, Attempt attempt) {
    if (!span.isRecording()) {
      return;
    }
    span.setAttribute(BACKEND, call.backend().name());
    span.setAttribute(ENDPOINT, attempt.endpoint().authority());
    span.setAttribute(ATTEMPT, (long) attempt.number());
    if (attempt.isRetry()) {
      span.setAttribute(HttpAttributes.HTTP_REQUEST_RESEND_COUNT, (long) attempt.number() - 1);
    } else if (attempt.isBackup()) {
      span.setAttribute(BACKUP, true); // a hedged request sent alongside the first, not a resend
    }
  }

  /** An ended attempt's outcome, in the mesh's one classification. */
  static void endAttempt(Span span, MeshCall call, Attempt attempt) {
    if (!span.isRecording()) {
      span.end(); // unsampled: nothing to describe
      return;
    }
    ResponseClass result = attempt.result();
    describeResponse(span, call.request(), attempt.httpStatus(), attempt.grpcCode());
    if (result != null) {
      span.setAttribute(CLASSIFICATION, CLASSIFICATIONS[result.ordinal()]);
      if (result.isFailure()) {
        span.setAttribute(ErrorAttributes.ERROR_TYPE, errorType(attempt));
        span.setStatus(StatusCode.ERROR);
        Throwable error = attempt.error();
        if (error != null) {
          span.recordException(error);
        }
      }
    }
    span.end();
  }

  /** An ended call: how many attempts, how it ended, and its final result. */
  static void endCall(Span span, MeshCall call) {
    if (!span.isRecording()) {
      span.end();
      return;
    }
    Attempt last = call.lastAttempt();
    RetryDecision decision = call.decision();
    span.setAttribute(ATTEMPTS, (long) call.attempts());
    if (decision != null) {
      span.setAttribute(DECISION, DECISIONS[decision.ordinal()]);
    }
    if (last != null) {
      describeResponse(span, call.request(), last.httpStatus(), last.grpcCode());
    }
    Throwable failure = call.failure();
    ResponseClass result = last == null ? null : last.result();
    if (failure != null) {
      span.setAttribute(ErrorAttributes.ERROR_TYPE, failure.getClass().getName());
      span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
    } else if (result != null && result.isFailure() && decision != null) {
      span.setAttribute(ErrorAttributes.ERROR_TYPE, errorType(last));
      span.setStatus(StatusCode.ERROR, call.describe(decision));
    }
    if (result != null) {
      span.setAttribute(CLASSIFICATION, CLASSIFICATIONS[result.ordinal()]);
    }
    span.end();
  }

  /** A server span's name: the HTTP method, or the RPC's {@code package.Service/Method}. */
  static String serverSpanName(InboundCall call) {
    if (call.protocol() == InboundCall.Protocol.GRPC) {
      return call.path().substring(1);
    }
    String method = httpMethod(call.method());
    return method.equals("_OTHER") ? "HTTP" : method;
  }

  /** A server span's attributes, known when the request arrives. */
  static void describeInbound(SpanBuilder span, InboundCall call) {
    if (call.protocol() == InboundCall.Protocol.GRPC) {
      span.setAttribute(RpcAttributes.RPC_SYSTEM_NAME, RpcAttributes.RpcSystemNameValues.GRPC);
      span.setAttribute(RpcAttributes.RPC_METHOD, call.path().substring(1));
    } else {
      span.setAttribute(HttpAttributes.HTTP_REQUEST_METHOD, httpMethod(call.method()));
      span.setAttribute(UrlAttributes.URL_PATH, call.path());
    }
    SpiffeId peer = call.peer();
    if (peer != null) {
      span.setAttribute(PEER_IDENTITY, peer.toString());
    }
  }

  static void endInbound(Span span, InboundCall call) {
    if (!span.isRecording()) {
      span.end();
      return;
    }
    if (call.protocol() == InboundCall.Protocol.GRPC) {
      if (call.grpcCode() >= 0) {
        span.setAttribute(RpcAttributes.RPC_STATUS_CODE, grpcCodeName(call.grpcCode()));
      }
    } else if (call.httpStatus() != 0) {
      span.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) call.httpStatus());
    }
    ResponseClass result = call.result();
    if (result != null) {
      span.setAttribute(CLASSIFICATION, CLASSIFICATIONS[result.ordinal()]);
      if (result.isFailure()) {
        Throwable error = call.error();
        span.setAttribute(
            ErrorAttributes.ERROR_TYPE,
            error != null
                ? error.getClass().getName()
                : call.grpcCode() >= 0
                    ? grpcCodeName(call.grpcCode())
                    : Integer.toString(call.httpStatus()));
        span.setStatus(StatusCode.ERROR);
        if (error != null) {
          span.recordException(error);
        }
      }
    }
    span.end();
  }

  /**
   * Status attributes: a gRPC status makes the span an RPC span (renamed to the RPC's method, with
   * {@code rpc.*} attributes), an HTTP status sets {@code http.response.status_code}.
   */
  private static void describeResponse(
      Span span, MeshRequest request, int httpStatus, int grpcCode) {
    if (grpcCode >= 0) {
      String path = request.path();
      String method = path.startsWith("/") ? path.substring(1) : path;
      span.updateName(method);
      span.setAttribute(RpcAttributes.RPC_SYSTEM_NAME, RpcAttributes.RpcSystemNameValues.GRPC);
      span.setAttribute(RpcAttributes.RPC_METHOD, method);
      span.setAttribute(RpcAttributes.RPC_STATUS_CODE, grpcCodeName(grpcCode));
    } else if (httpStatus != 0) {
      span.setAttribute(HttpAttributes.HTTP_RESPONSE_STATUS_CODE, (long) httpStatus);
    }
  }

  /** {@code error.type}: the status code, the gRPC status name, or the exception's class. */
  private static String errorType(Attempt attempt) {
    if (attempt.grpcCode() >= 0) {
      return grpcCodeName(attempt.grpcCode());
    }
    if (attempt.httpStatus() != 0) {
      return Integer.toString(attempt.httpStatus());
    }
    Throwable error = attempt.error();
    return error != null ? error.getClass().getName() : ErrorAttributes.ErrorTypeValues.OTHER;
  }

  private static final String[] GRPC_CODES = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED"
  };

  static String grpcCodeName(int code) {
    return code >= 0 && code < GRPC_CODES.length ? GRPC_CODES[code] : Integer.toString(code);
  }

  /** The method as HTTP semantic conventions name it: a known method, or {@code _OTHER}. */
  static String httpMethod(String method) {
    switch (method) {
      case "GET":
      case "HEAD":
      case "POST":
      case "PUT":
      case "DELETE":
      case "CONNECT":
      case "OPTIONS":
      case "TRACE":
      case "PATCH":
        return method;
      default:
        return "_OTHER";
    }
  }

  private static String[] lowerCaseNames(Enum<?>[] values) {
    String[] names = new String[values.length];
    for (Enum<?> v : values) {
      names[v.ordinal()] = v.name().toLowerCase(Locale.ROOT);
    }
    return names;
  }
}
