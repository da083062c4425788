package dev.meshwork.tls;

import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import dev.meshwork.tls.internal.SpiffeTrustManager;
import dev.meshwork.tls.internal.TrustBundle;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * TLS contexts for peers that are not mesh workloads: rogue clients and servers with plain JDK key
 * and trust managers (no certificate, another CA, no SPIFFE ID, expired). They verify the other
 * side properly, so a refused handshake is the mesh side refusing them.
 */
final class PeerContexts {

  private PeerContexts() {}

  static KeyManager[] keyManagers(TestPki.@Nullable Workload w) throws Exception {
    if (w == null) {
      return new KeyManager[0];
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "test".toCharArray();
    store.setKeyEntry("w", w.key, password, new X509Certificate[] {w.certificate});
    KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    f.init(store, password);
    return f.getKeyManagers();
  }

  /**
   * A client that presents {@code w} (or nothing) and accepts only {@code server} from {@code ca}.
   */
  static SSLContext client(TestPki.@Nullable Workload w, TestPki ca, String server)
      throws Exception {
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(keyManagers(w), new TrustManager[] {serverTrust(ca, server)}, null);
    return c;
  }

  static X509TrustManager serverTrust(TestPki ca, String server) {
    TrustBundle bundle = new TrustBundle();
    bundle.use(List.of(ca.certificate));
    return SpiffeTrustManager.servers(bundle, SpiffeId.parse(server));
  }

  /** A server presenting {@code w} that requires clients from {@code trusted}. */
  static SSLContext server(TestPki.Workload w, TestPki... trusted) throws Exception {
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(keyManagers(w), trustManagers(trusted), null);
    return c;
  }

  /** The JDK's PKIX trust managers over {@code trusted}'s roots. */
  static TrustManager[] trustManagers(TestPki... trusted) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    for (int i = 0; i < trusted.length; i++) {
      store.setCertificateEntry("ca" + i, trusted[i].certificate);
    }
    TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
    f.init(store);
    return f.getTrustManagers();
  }

  /** Accepts a session whose peer carries {@code spiffeId}. */
  static HostnameVerifier identity(String spiffeId) {
    return (host, session) -> {
      try {
        return SpiffeId.parse(spiffeId)
            .equals(X509Identity.spiffeIdOf((X509Certificate) session.getPeerCertificates()[0]));
      } catch (SSLPeerUnverifiedException e) {
        return false;
      }
    };
  }
}
