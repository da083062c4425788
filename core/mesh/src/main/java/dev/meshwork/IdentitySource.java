package dev.meshwork;

/**
 * Where a workload's X.509 identity comes from: certificate files (cert-manager's CSI driver,
 * SPIRE's helper) or Consul Connect's CA. The source watches its origin and delivers every new
 * identity, rotated certificate or changed trust bundle, to the listener; {@code meshwork-tls}
 * turns them into live key and trust managers.
 *
 * <pre>{@code
 * IdentitySource source = ...;   // e.g. ConsulIdentitySource, or meshwork-tls's file source
 * source.start(new IdentitySource.Listener() {
 *   @Override public void identityUpdated(X509Identity identity) { keyManager.use(identity); }
 * });
 * }</pre>
 */
public interface IdentitySource extends AutoCloseable {

  /** A short description for messages. */
  String name();

  /** Starts watching; must not block. The first identity may arrive on another thread, later. */
  void start(Listener listener);

  /**
   * Asks the origin for a fresh identity now, for sources that can renew (re-fetch from a CA,
   * re-read files); the new identity, if any, arrives through the listener as usual. {@code
   * meshwork-tls} calls it at 70 % of the current certificate's lifetime. Must not block.
   *
   * @return false if this source cannot renew (the default)
   */
  default boolean renew() {
    return false;
  }

  @Override
  default void close() {}

  /** Receives identities; called from the source's threads, one call at a time. */
  interface Listener {

    /** A new identity (first, rotated, or with a new trust bundle) to use from now on. */
    void identityUpdated(X509Identity identity);

    /** The origin could not deliver an identity; the last one stays in use. */
    default void identityFailed(Throwable error) {}
  }
}
