package dev.meshwork.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/** Makes the request headers available to test handlers through the gRPC context. */
final class HeadersCapture implements ServerInterceptor {

  static final Context.Key<Metadata> CURRENT = Context.key("test.headers");

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    return Contexts.interceptCall(
        Context.current().withValue(CURRENT, headers), call, headers, next);
  }
}
