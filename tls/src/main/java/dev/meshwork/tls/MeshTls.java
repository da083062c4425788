package dev.meshwork.tls;

import dev.meshwork.Endpoint;
import dev.meshwork.IdentitySource;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity;
import dev.meshwork.X509Identity;
import dev.meshwork.tls.internal.ClientAuthRequiredContext;
import dev.meshwork.tls.internal.IdentityTimers;
import dev.meshwork.tls.internal.ReloadingKeyManager;
import dev.meshwork.tls.internal.SpiffeTrustManager;
import dev.meshwork.tls.internal.TrustBundle;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * mTLS with SPIFFE workload identity for a {@link Mesh}: the {@link TransportSecurity} that the
 * OkHttp, gRPC and servlet adapters consume. The identity (certificate, key and trust bundle) comes
 * from an {@link IdentitySource}, such as {@link FileIdentitySource} or Consul Connect's.
 *
 * <pre>{@code
 * MeshTls tls = MeshTls.builder(FileIdentitySource.certManager(Path.of("/var/run/tls")))
 *     .mode("legacy", TransportSecurity.Mode.PERMISSIVE)      // default: STRICT
 *     .build();
 * Mesh mesh = Mesh.builder().source(source).transportSecurity(tls).build();
 * tls.awaitIdentity(Duration.ofSeconds(10));
 * }</pre>
 *
 * <p>What it does:
 *
 * <ul>
 *   <li><b>Clients verify servers by identity.</b> A server's chain must lead to the trust bundle
 *       and its leaf's SPIFFE ID must equal the endpoint's expected identity: {@link
 *       Endpoint#identity()} as discovery reports it (the Kubernetes service account, the Consul
 *       service), else the one {@linkplain Builder#expectIdentity configured} for the destination.
 *       Host names and IP addresses are never checked, so there is no hostname verification to get
 *       wrong.
 *   <li><b>Modes per destination.</b> {@code STRICT} (the default) uses mTLS to every endpoint and
 *       refuses an endpoint whose identity is unknown. {@code PERMISSIVE} uses mTLS to endpoints
 *       that discovery gave an identity (that is how an endpoint is "known" to support mTLS: a
 *       meshed workload is registered with its identity) and plaintext to the others, for
 *       migrations: OkHttp clients per connection, gRPC channels per endpoint within one channel
 *       (over grpc-netty-shaded; see {@code MeshGrpc}). {@code DISABLED} is plaintext.
 *   <li><b>Servers</b> present the same identity ({@link #serverContext()}, whose engines require a
 *       client certificate), accept clients whose chain leads to the bundle and carries a SPIFFE
 *       ID, and leave authorization to the mesh's access policy. This workload's own SPIFFE ID for
 *       that policy is its certificate's, unless {@linkplain Builder#localIdentity configured}.
 *   <li><b>Rotation never breaks a request.</b> Key and trust managers always serve the latest
 *       identity: handshakes that start after a rotation use the new certificate, established
 *       connections keep theirs and drain. TLS sessions cached by any context that handshook with
 *       this identity (ours, OkHttp's, grpc-netty's) are invalidated on rotation, and {@link
 *       #serverContext()} switches to fresh TLS 1.3 ticket keys, so a new connection cannot resume
 *       its way around the new certificates. A rotated identity is reported to {@link
 *       dev.meshwork.MeshListener#identityUpdated}.
 *   <li><b>Renewal and expiry.</b> At 70 % of the remaining lifetime (clamped to [10 s, 24 h], as
 *       Linkerd's proxy does) the source is asked to {@linkplain IdentitySource#renew renew}; from
 *       24 h before expiry, {@link dev.meshwork.MeshListener#identityExpiring} is reported every
 *       hour until a newer identity arrives. Metrics read the expiry from {@link #identity()}.
 * </ul>
 *
 * <p>One instance secures one mesh; it starts with the mesh and closes with it, closing its
 * identity source. Thread-safe.
 */
public final class MeshTls implements TransportSecurity {

  private final IdentitySource source;
  private final Mode defaultMode;
  private final Map<String, Mode> modeNames;
  private final Map<String, SpiffeId> expectedNames;
  private final @Nullable SpiffeId configuredSelf;
  private final @Nullable Clock givenClock;
  private final Duration warnWindow;
  private final Duration warnInterval;
  private final ReloadingKeyManager keyManager = new ReloadingKeyManager();
  private final TrustBundle bundle = new TrustBundle();
  private final SpiffeTrustManager bundleTrust = SpiffeTrustManager.bundleOnly(bundle);
  private final SpiffeTrustManager clientTrust = SpiffeTrustManager.clients(bundle);
  private final ConcurrentHashMap<SpiffeId, SSLSocketFactory> clientFactories =
      new ConcurrentHashMap<>();
  private final CompletableFuture<X509Identity> first = new CompletableFuture<>();
  private volatile @Nullable DestinationPolicy policy;
  private volatile @Nullable X509Identity identity;
  private volatile @Nullable ClientAuthRequiredContext serverContext;
  private @Nullable Mesh mesh;
  private @Nullable IdentityTimers timers;

  private MeshTls(Builder b) {
    this.source = b.source;
    this.defaultMode = b.defaultMode;
    this.modeNames = Map.copyOf(b.modes);
    this.expectedNames = Map.copyOf(b.expected);
    this.configuredSelf = b.self;
    this.givenClock = b.clock;
    this.warnWindow = b.warnWindow;
    this.warnInterval = b.warnInterval;
  }

  public static Builder builder(IdentitySource source) {
    return new Builder(source);
  }

  @Override
  public synchronized void start(Mesh mesh) {
    if (this.mesh != null) {
      throw new IllegalStateException("MeshTls for " + source.name() + " already secures a mesh");
    }
    this.mesh = mesh;
    policy = new DestinationPolicy(defaultMode, modeNames, expectedNames, mesh.defaultNamespace());
    timers =
        new IdentityTimers(
            mesh.scheduler(),
            givenClock != null ? givenClock : Clock.systemUTC(),
            warnWindow,
            warnInterval,
            source::renew,
            (id, remaining) -> mesh.listener().identityExpiring(source.name(), id, remaining));
    source.start(
        new IdentitySource.Listener() {
          @Override
          public void identityUpdated(X509Identity next) {
            use(next);
          }

          @Override
          public void identityFailed(Throwable error) {
            mesh.listener().sourceFailed(source.name(), error);
          }
        });
  }

  /** Puts {@code next} in force; called on the source's thread. */
  private void use(X509Identity next) {
    Mesh m = Objects.requireNonNull(mesh);
    if (next.spiffeId() == null) {
      m.listener()
          .sourceFailed(
              source.name(),
              new IllegalArgumentException(
                  "workload certificate "
                      + next.leaf().getSubjectX500Principal().getName()
                      + " has no SPIFFE ID (expected a URI SAN spiffe://...); keeping "
                      + identity));
      return;
    }
    X509Identity previous = identity;
    if (previous != null
        && previous.chain().equals(next.chain())
        && previous.trustAnchors().equals(next.trustAnchors())
        && previous.privateKey().equals(next.privateKey())) {
      return; // a source re-delivering what is in use (Consul does when only an index moved)
    }
    bundle.use(next.trustAnchors());
    keyManager.use(next);
    identity = next;
    ClientAuthRequiredContext server = serverContext;
    if (server != null) {
      // Fresh session cache and TLS 1.3 ticket keys: clients cannot resume pre-rotation sessions.
      server.replace(context(clientTrust));
    }
    Objects.requireNonNull(timers).track(next);
    first.complete(next);
    m.listener().identityUpdated(source.name(), next);
  }

  @Override
  public synchronized void close() {
    if (timers != null) {
      timers.cancel();
    }
    source.close();
  }

  /**
   * Waits until the first identity is in use.
   *
   * @return false if none arrived within {@code timeout}
   */
  public boolean awaitIdentity(Duration timeout) throws InterruptedException {
    try {
      first.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  @Override
  public Mode mode(ServiceName destination) {
    return policy().mode(destination);
  }

  @Override
  public @Nullable SpiffeId serverIdentity(ServiceName destination, Endpoint endpoint)
      throws SSLPeerUnverifiedException {
    SpiffeId id = policy().serverIdentity(destination, endpoint);
    if (id != null && identity == null) {
      throw new SSLPeerUnverifiedException(
          "mTLS to " + destination + ": no workload identity yet from " + source.name());
    }
    return id;
  }

  private DestinationPolicy policy() {
    DestinationPolicy p = policy;
    if (p == null) {
      throw new IllegalStateException("MeshTls is used before Mesh.Builder.build() started it");
    }
    return p;
  }

  @Override
  public @Nullable X509Identity identity() {
    return identity;
  }

  @Override
  public @Nullable SpiffeId localIdentity() {
    if (configuredSelf != null) {
      return configuredSelf;
    }
    X509Identity id = identity;
    return id == null ? null : id.spiffeId();
  }

  @Override
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  @Override
  public X509TrustManager trustManager() {
    return bundleTrust;
  }

  @Override
  public SSLSocketFactory clientSocketFactory(SpiffeId expected) {
    return clientFactories.computeIfAbsent(
        expected, id -> context(SpiffeTrustManager.servers(bundle, id)).getSocketFactory());
  }

  @Override
  public void checkServer(X509Certificate[] chain, String authType, SpiffeId expected)
      throws CertificateException {
    SpiffeTrustManager.checkServer(bundle, chain, authType, expected);
  }

  @Override
  public X509ExtendedTrustManager serverTrustManager() {
    return clientTrust;
  }

  @Override
  public SSLContext serverContext() {
    ClientAuthRequiredContext c = serverContext;
    if (c == null) {
      synchronized (this) {
        c = serverContext;
        if (c == null) {
          c = new ClientAuthRequiredContext(context(clientTrust));
          serverContext = c;
        }
      }
    }
    return c;
  }

  private SSLContext context(X509ExtendedTrustManager trust) {
    try {
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(new KeyManager[] {keyManager}, new TrustManager[] {trust}, null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make a TLS context", e);
    }
  }

  @Override
  public String toString() {
    return "MeshTls{" + source.name() + ", " + identity + "}";
  }

  /** Configures {@link MeshTls}. Not thread-safe. */
  public static final class Builder {
    private final IdentitySource source;
    private Mode defaultMode = Mode.STRICT;
    private final Map<String, Mode> modes = new HashMap<>();
    private final Map<String, SpiffeId> expected = new HashMap<>();
    private @Nullable SpiffeId self;
    private @Nullable Clock clock;
    private Duration warnWindow = Duration.ofHours(24);
    private Duration warnInterval = Duration.ofHours(1);

    private Builder(IdentitySource source) {
      this.source = Objects.requireNonNull(source, "source");
    }

    /** The mode of destinations not named by {@link #mode(String, Mode)}; default STRICT. */
    public Builder defaultMode(Mode mode) {
      this.defaultMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** The mode of calls to {@code service} ({@code reviews} or {@code reviews.prod}). */
    public Builder mode(String service, Mode mode) {
      ServiceName.parse(service, ServiceName.DEFAULT_NAMESPACE); // validates now
      modes.put(service, Objects.requireNonNull(mode, "mode"));
      return this;
    }

    /**
     * The identity {@code service}'s servers must present when discovery gives an endpoint none
     * (static configuration, DNS); used in STRICT mode.
     */
    public Builder expectIdentity(String service, String spiffeId) {
      ServiceName.parse(service, ServiceName.DEFAULT_NAMESPACE);
      expected.put(service, SpiffeId.parse(spiffeId));
      return this;
    }

    /**
     * This workload's SPIFFE ID for access policy, instead of the one in its certificate (for a
     * certificate shared by several services, for example).
     */
    public Builder localIdentity(String spiffeId) {
      this.self = SpiffeId.parse(spiffeId);
      return this;
    }

    /**
     * Expiry warnings start {@code window} before expiry (default 24 h) and repeat every {@code
     * interval} (default 1 h).
     */
    public Builder expiryWarnings(Duration window, Duration interval) {
      if (window.isNegative() || interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException(
            "expiry warnings: window "
                + window
                + ", interval "
                + interval
                + " (expected window >= 0 and interval > 0)");
      }
      this.warnWindow = window;
      this.warnInterval = interval;
      return this;
    }

    /** The wall clock that certificate lifetimes are measured on; tests pass a fake one. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public MeshTls build() {
      return new MeshTls(this);
    }
  }
}
