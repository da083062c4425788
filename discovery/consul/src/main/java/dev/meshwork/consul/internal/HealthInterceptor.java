package dev.meshwork.consul.internal;

import java.io.IOException;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Okio;
import org.jspecify.annotations.Nullable;
import org.kiwiproject.consul.util.failover.ConsulFailoverInterceptor;
import org.kiwiproject.consul.util.failover.strategy.ConsulFailoverStrategy;

/**
 * The one OkHttp interceptor consul-client lets a caller install (its builder takes only a
 * "failover" interceptor, so this extends that type and does no failover): it adds {@code
 * partition}, which consul-client's query options lack, caps the body at {@code maxBytes}, and
 * records the answer's {@code X-Consul-Index} for the calling thread (health calls are synchronous,
 * so the interceptor and the JSON conversion run on the caller's thread).
 */
final class HealthInterceptor extends ConsulFailoverInterceptor {

  /** The index of the last answer seen on this thread; 0 when none. */
  static final ThreadLocal<Long> LAST_INDEX = ThreadLocal.withInitial(() -> 0L);

  private final int maxBytes;
  private final @Nullable String partition;

  HealthInterceptor(int maxBytes, @Nullable String partition) {
    super(NoFailover.INSTANCE);
    this.maxBytes = maxBytes;
    this.partition = partition;
  }

  @Override
  public Response intercept(Interceptor.Chain chain) {
    try {
      return limit(chain);
    } catch (IOException e) {
      // The superclass's signature declares no IOException; Kotlin-compiled OkHttp passes it on.
      throw sneaky(e);
    }
  }

  private Response limit(Interceptor.Chain chain) throws IOException {
    Request request = chain.request();
    if (partition != null && request.url().queryParameter("partition") == null) {
      HttpUrl url = request.url().newBuilder().addQueryParameter("partition", partition).build();
      request = request.newBuilder().url(url).build();
    }
    Response response = chain.proceed(request);
    long index = ConsulHttp.parseIndex(response.header("X-Consul-Index"));
    LAST_INDEX.set(index);
    ResponseBody body = response.body();
    long declared = body.contentLength();
    if (declared > maxBytes) {
      response.close();
      throw new OversizeException(declared);
    }
    ResponseBody capped =
        ResponseBody.create(
            Okio.buffer(new CappedSource(body.source(), maxBytes)), body.contentType(), declared);
    return response.newBuilder().body(capped).build();
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
    throw (E) t;
  }

  /** A body that went past the cap; the JSON converter fails with it as the cause. */
  static final class OversizeException extends IOException {
    private static final long serialVersionUID = 1L;
    private final long bytes;

    OversizeException(long bytes) {
      super("response body of at least " + bytes + " bytes exceeds the cap");
      this.bytes = bytes;
    }

    long bytes() {
      return bytes;
    }
  }

  private static final class CappedSource extends ForwardingSource {
    private final long max;
    private long seen;

    CappedSource(okio.Source delegate, long max) {
      super(delegate);
      this.max = max;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long n = super.read(sink, byteCount);
      if (n > 0) {
        seen += n;
        if (seen > max) {
          throw new OversizeException(seen);
        }
      }
      return n;
    }
  }

  private enum NoFailover implements ConsulFailoverStrategy {
    INSTANCE;

    @Override
    public Optional<Request> computeNextStage(Request request) {
      return Optional.empty();
    }

    @Override
    public Optional<Request> computeNextStage(Request request, @Nullable Response response) {
      return Optional.empty();
    }

    @Override
    public boolean isRequestViable(Request request) {
      return true;
    }

    @Override
    public void markRequestFailed(Request request) {}
  }

  @Override
  public String toString() {
    return "HealthInterceptor{maxBytes=" + maxBytes + ", partition=" + partition + "}";
  }
}
