package dev.meshwork.tls.internal;

import dev.meshwork.X509Identity;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * A key manager that always presents the latest workload identity, for clients and servers alike.
 *
 * <p>A handshake asks for an alias first and for the chain and key of that alias afterwards; a
 * rotation may land in between. Each identity therefore gets its own alias ({@code
 * meshwork-<generation>}), and the previous identity stays resolvable, so a handshake that chose
 * the old alias completes with the old certificate and its own key, while every handshake that
 * starts after {@link #use} chooses the new one. Thread-safe; lock-free for handshakes.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {

  private record Generation(String alias, X509Certificate[] chain, PrivateKey key) {}

  private volatile @Nullable Generation current;
  private volatile @Nullable Generation previous;
  private long generations;

  /** Serves {@code identity} to every handshake that starts from now on. */
  public synchronized void use(X509Identity identity) {
    Generation next =
        new Generation(
            "meshwork-" + ++generations,
            identity.chain().toArray(new X509Certificate[0]),
            identity.privateKey());
    previous = current;
    current = next;
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
    return alias(keyTypes);
  }

  @Override
  public @Nullable String chooseEngineClientAlias(
      String[] keyTypes, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return alias(keyTypes);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    return getClientAliases(keyType, issuers);
  }

  @Override
  public @Nullable String chooseServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return alias(new String[] {keyType});
  }

  @Override
  public @Nullable String chooseEngineServerAlias(
      String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
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
