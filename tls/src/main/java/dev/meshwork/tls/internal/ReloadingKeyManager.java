package dev.meshwork.tls.internal;

import dev.meshwork.X509Identity;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * A key manager that always presents the latest workload identity, for clients and servers alike.
 *
 * <p>A handshake asks for an alias first and for the chain and key of that alias afterwards; a
 * rotation may land in between. Each identity therefore gets its own alias ({@code
 * meshwork-<generation>}), and the previous identity stays resolvable, so a handshake that chose
 * the old alias completes with the old certificate and its own key, while every handshake that
 * starts after {@link #use} chooses the new one.
 *
 * <p>A resumed TLS session skips certificates altogether, so after a rotation a new connection
 * could resume a session made with the old identity (and, on the other side, accept the peer's old
 * one) for as long as the session cache keeps it. This manager takes part in every full handshake
 * of every context it serves, whichever library made the context (the JDK's, OkHttp's,
 * grpc-netty's), so it remembers their session caches and empties them on {@link #use}: the next
 * connection does a full handshake with the new certificate. Thread-safe; lock-free for handshakes
 * apart from noting the session cache.
 *
 * <pre>{@code
 * ReloadingKeyManager keys = new ReloadingKeyManager();
 * sslContext.init(new KeyManager[] {keys}, trustManagers, null);
 * keys.use(rotatedIdentity);   // new handshakes present it from now on
 * }</pre>
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {

  private record Generation(String alias, X509Certificate[] chain, PrivateKey key) {}

  /** Session caches of contexts this manager has handshaken for; weak, compared by identity. */
  private final Set<SSLSessionContext> caches =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  private volatile @Nullable Generation current;
  private volatile @Nullable Generation previous;
  private long generations;

  /** Serves {@code identity} to every handshake that starts from now on. */
  public void use(X509Identity identity) {
    synchronized (this) {
      Generation next =
          new Generation(
              "meshwork-" + ++generations,
              identity.chain().toArray(new X509Certificate[0]),
              identity.privateKey());
      previous = current;
      current = next;
    }
    List<SSLSessionContext> known;
    synchronized (caches) {
      known = new ArrayList<>(caches);
    }
    for (SSLSessionContext cache : known) {
      for (Enumeration<byte[]> ids = cache.getIds(); ids.hasMoreElements(); ) {
        SSLSession s = cache.getSession(ids.nextElement());
        if (s != null) {
          s.invalidate();
        }
      }
    }
  }

  private void note(@Nullable SSLSession handshake) {
    SSLSessionContext cache = handshake == null ? null : handshake.getSessionContext();
    if (cache != null) {
      caches.add(cache);
    }
  }

  private void note(@Nullable Socket socket) {
    if (socket instanceof SSLSocket) {
      note(((SSLSocket) socket).getHandshakeSession());
    }
  }

  private void note(@Nullable SSLEngine engine) {
    if (engine != null) {
      note(engine.getHandshakeSession());
    }
  }

  private @Nullable Generation find(@Nullable String alias) {
    Generation c = current;
    if (c != null && c.alias().equals(alias)) {
      return c;
    }
    Generation p = previous;
    return p != null && p.alias().equals(alias) ? p : null;
  }

  /** The current alias if its key fits one of {@code keyTypes} (null: any). */
  private @Nullable String alias(String @Nullable [] keyTypes) {
    Generation c = current;
    if (c == null) {
      return null;
    }
    if (keyTypes == null) {
      return c.alias();
    }
    for (String t : keyTypes) {
      if (fits(c.key(), t)) {
        return c.alias();
      }
    }
    return null;
  }

  /** A JSSE key type ({@code EC}, {@code RSA}, TLS 1.2's {@code EC_EC}) against the key. */
  private static boolean fits(PrivateKey key, @Nullable String keyType) {
    if (keyType == null) {
      return true;
    }
    int sep = keyType.indexOf('_');
    String type = sep < 0 ? keyType : keyType.substring(0, sep);
    String algorithm = key.getAlgorithm();
    return type.equals(algorithm) || (type.equals("EdDSA") && algorithm.startsWith("Ed"));
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    String a = alias(new String[] {keyType});
    return a == null ? null : new String[] {a};
  }

  @Override
  public @Nullable String chooseClientAlias(
      String[] keyTypes, Principal @Nullable [] issuers, @Nullable Socket socket) {
    note(socket);
    return alias(keyTypes);
  }

  @Override
  public @Nullable String chooseEngineClientAlias(
      String[] keyTypes, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    note(engine);
    return alias(keyTypes);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    return getClientAliases(keyType, issuers);
  }

  @Override
  public @Nullable String chooseServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    note(socket);
    return alias(new String[] {keyType});
  }

  @Override
  public @Nullable String chooseEngineServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    note(engine);
    return alias(new String[] {keyType});
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(@Nullable String alias) {
    Generation g = find(alias);
    return g == null ? null : g.chain().clone();
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(@Nullable String alias) {
    Generation g = find(alias);
    return g == null ? null : g.key();
  }

  @Override
  public String toString() {
    Generation c = current;
    return "ReloadingKeyManager{" + (c == null ? "no identity" : c.alias()) + "}";
  }
}
