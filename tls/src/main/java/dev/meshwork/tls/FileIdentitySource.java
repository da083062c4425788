package dev.meshwork.tls;

import dev.meshwork.ConfigException;
import dev.meshwork.IdentitySource;
import dev.meshwork.X509Identity;
import dev.meshwork.tls.internal.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A workload identity from three PEM files: the certificate chain (leaf first), the private key
 * (PKCS#8, SEC1 EC or PKCS#1 RSA) and the trust bundle, in the layouts that
 *
 * <ul>
 *   <li>cert-manager's CSI driver writes: {@code tls.crt}, {@code tls.key}, {@code ca.crt} ({@link
 *       #certManager});
 *   <li>SPIRE's spiffe-helper writes: {@code svid.pem}, {@code svid_key.pem}, {@code bundle.pem}
 *       ({@link #spiffeHelper}).
 * </ul>
 *
 * <p>The files are watched (their directories, so Kubernetes' atomic symlink swaps are seen) and
 * also re-read every {@linkplain Builder#checkInterval check interval} in case an event was missed.
 * A change is read after a short {@linkplain Builder#settle settling time}, so a writer that
 * replaces the files one by one is read once. A new identity is delivered only when it is complete
 * and consistent: every file parses and the key belongs to the certificate; otherwise the failure
 * is reported to {@link Listener#identityFailed} (once per distinct problem), the previous identity
 * stays in use, and the files are read again on the next change or check.
 *
 * <p>Thread-safe; one daemon thread per source watches and reads.
 *
 * <pre>{@code
 * MeshTls tls = MeshTls.builder(FileIdentitySource.certManager(Path.of("/var/run/secrets/tls")))
 *     .build();
 * }</pre>
 */
public final class FileIdentitySource implements IdentitySource {

  private final Path certificate;
  private final Path key;
  private final Path bundle;
  private final Duration checkInterval;
  private final Duration settle;
  private final boolean watch;
  private @Nullable FileWatchLoop loop;
  private byte @Nullable [][] loaded;
  private @Nullable String lastProblem;

  private FileIdentitySource(Builder b) {
    this.certificate = b.certificate;
    this.key = b.key;
    this.bundle = b.bundle;
    this.checkInterval = b.checkInterval;
    this.settle = b.settle;
    this.watch = b.watch;
  }

  /** {@code tls.crt}, {@code tls.key} and {@code ca.crt} in {@code directory}. */
  public static FileIdentitySource certManager(Path directory) {
    return builder(
            directory.resolve("tls.crt"), directory.resolve("tls.key"), directory.resolve("ca.crt"))
        .build();
  }

  /** {@code svid.pem}, {@code svid_key.pem} and {@code bundle.pem} in {@code directory}. */
  public static FileIdentitySource spiffeHelper(Path directory) {
    return builder(
            directory.resolve("svid.pem"),
            directory.resolve("svid_key.pem"),
            directory.resolve("bundle.pem"))
        .build();
  }

  public static Builder builder(Path certificate, Path key, Path bundle) {
    return new Builder(certificate, key, bundle);
  }

  @Override
  public String name() {
    return "identity files " + certificate.getParent();
  }

  @Override
  public synchronized void start(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    if (loop != null) {
      throw new IllegalStateException(name() + " was already started");
    }
    loop =
        new FileWatchLoop(
            name(),
            watch ? List.of(certificate, key, bundle) : List.of(),
            checkInterval,
            settle,
            () -> check(listener));
    loop.start();
  }

  /** Reads the files and delivers the identity if it changed. Runs on the watch thread. */
  private void check(Listener listener) {
    byte[][] contents = new byte[3][];
    X509Identity identity;
    try {
      contents[0] = Files.readAllBytes(certificate);
      contents[1] = Files.readAllBytes(key);
      contents[2] = Files.readAllBytes(bundle);
      synchronized (this) {
        if (loaded != null && Arrays.deepEquals(loaded, contents)) {
          return;
        }
      }
      identity = parse(contents);
    } catch (IOException | RuntimeException e) {
      String problem = String.valueOf(e.getMessage());
      synchronized (this) {
        if (problem.equals(lastProblem)) {
          return;
        }
        lastProblem = problem;
      }
      listener.identityFailed(e);
      return;
    }
    synchronized (this) {
      loaded = contents;
      lastProblem = null;
    }
    listener.identityUpdated(identity);
  }

  private X509Identity parse(byte[][] contents) {
    List<X509Certificate> chain =
        Pem.certificates(text(contents[0]), certificate.getFileName().toString());
    PrivateKey privateKey = Pem.privateKey(text(contents[1]), key.getFileName().toString());
    List<X509Certificate> anchors =
        Pem.certificates(text(contents[2]), bundle.getFileName().toString());
    if (!Pem.matches(privateKey, chain.get(0))) {
      throw ConfigException.of(
          key.getFileName().toString(),
          "",
          privateKey.getAlgorithm() + " private key",
          "the key of the certificate in "
              + certificate.getFileName()
              + " ("
              + chain.get(0).getSubjectX500Principal().getName()
              + "); the files may be mid-rotation");
    }
    return X509Identity.of(chain, privateKey, anchors);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  @Override
  public synchronized void close() {
    if (loop != null) {
      loop.close();
    }
  }

  @Override
  public String toString() {
    return "FileIdentitySource{" + certificate + ", " + key + ", " + bundle + "}";
  }

  /** Configures a {@link FileIdentitySource}. Not thread-safe. */
  public static final class Builder {
    private final Path certificate;
    private final Path key;
    private final Path bundle;
    private Duration checkInterval = Duration.ofSeconds(10);
    private Duration settle = Duration.ofMillis(100);
    private boolean watch = true;

    private Builder(Path certificate, Path key, Path bundle) {
      this.certificate = Objects.requireNonNull(certificate, "certificate").toAbsolutePath();
      this.key = Objects.requireNonNull(key, "key").toAbsolutePath();
      this.bundle = Objects.requireNonNull(bundle, "bundle").toAbsolutePath();
    }

    /** How often the files are re-read even without a change event; default 10 s. */
    public Builder checkInterval(Duration interval) {
      if (interval.toMillis() < 1) {
        throw new IllegalArgumentException("checkInterval: " + interval + " (expected >= 1 ms)");
      }
      this.checkInterval = interval;
      return this;
    }

    /** How long to wait for more changes after one before reading; default 100 ms. */
    public Builder settle(Duration settle) {
      if (settle.isNegative()) {
        throw new IllegalArgumentException("settle: " + settle + " (expected >= 0)");
      }
      this.settle = settle;
      return this;
    }

    /** Whether to watch the directories for changes (default) or only re-read periodically. */
    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    public FileIdentitySource build() {
      return new FileIdentitySource(this);
    }
  }
}
