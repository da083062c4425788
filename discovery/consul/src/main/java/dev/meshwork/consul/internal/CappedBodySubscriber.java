package dev.meshwork.consul.internal;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Keeps a body up to {@code max} bytes; past that it drops what arrives (counting it) and yields an
 * oversize body, so a runaway answer costs bandwidth but never memory. The rest is drained rather
 * than cancelled so the connection's exchange completes normally.
 */
final class CappedBodySubscriber implements HttpResponse.BodySubscriber<RawBody> {

  private final int max;
  private final CompletableFuture<RawBody> result = new CompletableFuture<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private Flow.Subscription subscription;
  private long seen;

  CappedBodySubscriber(int max) {
    this.max = max;
  }

  /** A handler that refuses at once a body whose Content-Length is already too large. */
  static HttpResponse.BodyHandler<RawBody> handler(int max) {
    return info -> {
      long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > max) {
        return HttpResponse.BodySubscribers.replacing(RawBody.oversize(declared));
      }
      return new CappedBodySubscriber(max);
    };
  }

  @Override
  public CompletionStage<RawBody> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    this.subscription = subscription;
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    for (ByteBuffer b : items) {
      seen += b.remaining();
      if (seen > max) {
        b.position(b.limit());
        out.reset();
        continue;
      }
      byte[] chunk = new byte[b.remaining()];
      b.get(chunk);
      out.write(chunk, 0, chunk.length);
    }
  }

  @Override
  public void onError(Throwable throwable) {
    result.completeExceptionally(throwable);
  }

  @Override
  public void onComplete() {
    result.complete(seen > max ? RawBody.oversize(seen) : RawBody.of(out.toByteArray()));
  }
}
