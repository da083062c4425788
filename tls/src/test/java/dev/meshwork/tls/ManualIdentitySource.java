package dev.meshwork.tls;

import dev.meshwork.IdentitySource;
import dev.meshwork.X509Identity;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** An identity source a test drives by hand; counts renewal requests. Thread-safe. */
final class ManualIdentitySource implements IdentitySource {

  final AtomicInteger renewals = new AtomicInteger();
  volatile boolean canRenew = true;
  private volatile @Nullable Listener listener;

  @Override
  public String name() {
    return "manual";
  }

  @Override
  public void start(Listener listener) {
    this.listener = listener;
  }

  void push(X509Identity identity) {
    java.util.Objects.requireNonNull(listener, "not started").identityUpdated(identity);
  }

  void fail(Throwable error) {
    java.util.Objects.requireNonNull(listener, "not started").identityFailed(error);
  }

  @Override
  public boolean renew() {
    renewals.incrementAndGet();
    return canRenew;
  }
}
