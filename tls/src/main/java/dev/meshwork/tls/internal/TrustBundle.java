package dev.meshwork.tls.internal;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The roots peers' chains must lead to, replaced whole when the workload's bundle changes, with the
 * JDK's PKIX validation over them (signatures, validity dates, constraints; no host names).
 * Thread-safe: checks read one volatile reference.
 *
 * <pre>{@code
 * TrustBundle bundle = new TrustBundle();
 * bundle.use(identity.trustAnchors());
 * X509TrustManager servers = SpiffeTrustManager.servers(bundle, expectedServer);
 * }</pre>
 */
public final class TrustBundle {

  private record State(
      Set<X509Certificate> anchors, X509Certificate[] anchorArray, X509TrustManager pkix) {}

  private volatile @Nullable State state;

  /** Trusts exactly {@code anchors} from now on; a no-op when they did not change. */
  public synchronized void use(List<X509Certificate> anchors) {
    State s = state;
    Set<X509Certificate> next = Set.copyOf(anchors);
    if (s != null && s.anchors().equals(next)) {
      return;
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate anchor : next) {
        store.setCertificateEntry("anchor-" + i++, anchor);
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
      f.init(store);
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509TrustManager) {
          state = new State(next, next.toArray(new X509Certificate[0]), (X509TrustManager) tm);
          return;
        }
      }
      throw new IllegalStateException("the JDK's PKIX TrustManagerFactory made no X509 manager");
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a trust manager over " + next.size(), e);
    }
  }

  /** Checks a server's chain against the bundle. */
  void checkServer(X509Certificate[] chain, String authType) throws CertificateException {
    State s = require();
    try {
      s.pkix().checkServerTrusted(chain, authType);
    } catch (CertificateException e) {
      throw untrusted(chain, s, e);
    }
  }

  /** Checks a client's chain against the bundle. */
  void checkClient(X509Certificate[] chain, String authType) throws CertificateException {
    State s = require();
    try {
      s.pkix().checkClientTrusted(chain, authType);
    } catch (CertificateException e) {
      throw untrusted(chain, s, e);
    }
  }

  private static CertificateException untrusted(
      X509Certificate[] chain, State s, CertificateException cause) {
    String subject =
        chain.length == 0 ? "(empty chain)" : chain[0].getSubjectX500Principal().getName();
    return new CertificateException(
        "peer certificate "
            + subject
            + " is not trusted by the mesh trust bundle ("
            + s.anchors().size()
            + " root(s)): "
            + cause.getMessage(),
        cause);
  }

  private State require() throws CertificateException {
    State s = state;
    if (s == null) {
      throw new CertificateException("no trust bundle yet: the workload identity has not arrived");
    }
    return s;
  }

  /** The current roots; empty before the first bundle. */
  X509Certificate[] anchors() {
    State s = state;
    // OkHttp asks for these on every call that overrides its socket factory.
    return s == null ? new X509Certificate[0] : s.anchorArray().clone();
  }
}
