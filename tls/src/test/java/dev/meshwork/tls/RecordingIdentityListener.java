package dev.meshwork.tls;

import dev.meshwork.IdentitySource;
import dev.meshwork.X509Identity;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what an identity source delivers. Thread-safe. */
final class RecordingIdentityListener implements IdentitySource.Listener {

  final List<X509Identity> identities = new CopyOnWriteArrayList<>();
  final List<Throwable> failures = new CopyOnWriteArrayList<>();

  @Override
  public void identityUpdated(X509Identity identity) {
    identities.add(identity);
  }

  @Override
  public void identityFailed(Throwable error) {
    failures.add(error);
  }

  X509Identity last() {
    return identities.get(identities.size() - 1);
  }
}
