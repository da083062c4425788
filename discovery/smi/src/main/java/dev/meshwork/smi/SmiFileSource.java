package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshSource;
import dev.meshwork.SourceContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Routes, splits and access rules from a directory of YAML files: SMI TrafficSplit, HTTPRouteGroup,
 * TCPRoute/UDPRoute, TrafficTarget and IdentityBinding in every version, and Gateway API
 * HTTPRoute/GRPCRoute attached to Services. Files may hold several documents and {@code kind:
 * List}s (as {@code kubectl get -o yaml} writes them); other kinds are skipped.
 *
 * <p>The directory is watched: a change is applied within a second. A file that is invalid, or
 * caught half-written, is reported to {@link dev.meshwork.MeshListener#configRejected} with its
 * name, the resource, the field, the value and what was expected; what that file said before stays
 * in force while the other files still apply. Write files atomically (write elsewhere, then move)
 * to avoid the intermediate report.
 *
 * <p>Endpoints do not come from these files: add an {@link EndpointsFileSource}, a {@link
 * DnsSource} or a {@link KubernetesSource} too. Thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(SmiFileSource.watching(Path.of("/etc/mesh")))
 *     .source(EndpointsFileSource.watching(Path.of("/etc/mesh/endpoints/endpoints.yaml")))
 *     .build();
 * }</pre>
 */
public final class SmiFileSource implements MeshSource {

  private static final System.Logger LOG = System.getLogger(SmiFileSource.class.getName());

  private final Path directory;
  private final Duration rescan;
  private final Duration settle;
  private final @Nullable String namespace;
  private final ResourceStore store = new ResourceStore();
  private @Nullable DirectoryWatcher watcher;
  private @Nullable SourceContext context;
  private @Nullable ResourceParser parser;
  private @Nullable MeshConfig published;
  private Set<String> reported = Set.of();

  private SmiFileSource(Builder b) {
    this.directory = b.directory;
    this.rescan = b.rescan;
    this.settle = b.settle;
    this.namespace = b.namespace;
  }

  /** Watches {@code directory} with the default settings. */
  public static SmiFileSource watching(Path directory) {
    return builder(directory).build();
  }

  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  @Override
  public String name() {
    return "smi files " + directory;
  }

  @Override
  public synchronized void start(SourceContext context) {
    this.context = context;
    this.parser = new ResourceParser(namespace != null ? namespace : context.defaultNamespace());
    DirectoryWatcher w =
        new DirectoryWatcher(
            directory,
            DirectoryWatcher::isYaml,
            rescan,
            settle,
            new DirectoryWatcher.Listener() {
              @Override
              public void changed(Map<Path, byte[]> changed, Set<Path> removed) {
                apply(changed, removed);
              }

              @Override
              public void failed(IOException error) {
                onFailure(error);
              }
            },
            "meshwork-smi-files");
    this.watcher = w;
    w.start();
  }

  /** Applies what the watcher saw; package-private so that tests can drive it directly. */
  synchronized void apply(Map<Path, byte[]> changed, Set<Path> removed) {
    SourceContext ctx = Objects.requireNonNull(context);
    ctx.reportRecovered();
    for (Path p : removed) {
      store.remove(p.getFileName().toString());
    }
    for (Map.Entry<Path, byte[]> e : changed.entrySet()) {
      String file = e.getKey().getFileName().toString();
      try {
        String text = new String(e.getValue(), StandardCharsets.UTF_8);
        store.put(file, Objects.requireNonNull(parser).parseAll(file, text));
      } catch (ConfigException error) {
        // What this file said before stays; the other files still apply.
        ctx.rejectConfig(error);
      }
    }
    Compiler.Result result = store.compile();
    Set<String> now = new HashSet<>();
    for (ConfigException problem : result.problems()) {
      now.add(problem.getMessage());
      if (!reported.contains(problem.getMessage())) {
        ctx.rejectConfig(problem);
      }
    }
    reported = now;
    publish(ctx, result.config());
  }

  private void publish(SourceContext ctx, MeshConfig config) {
    boolean first = published == null;
    if (!config.equals(published)) {
      published = config;
      ctx.publishConfig(config);
      LOG.log(System.Logger.Level.DEBUG, "{0}: published {1}", name(), config);
    }
    if (first) {
      ctx.ready();
    }
  }

  private synchronized void onFailure(IOException error) {
    SourceContext ctx = Objects.requireNonNull(context);
    ctx.reportFailure(error);
    if (published == null) {
      // Nothing to read yet: the mesh may start, and picks up the files once they appear.
      publish(ctx, MeshConfig.empty());
    }
  }

  @Override
  public synchronized void close() {
    if (watcher != null) {
      watcher.close();
    }
  }

  @Override
  public String toString() {
    return "SmiFileSource{" + directory + "}";
  }

  /** Configures an {@link SmiFileSource}. Not thread-safe. */
  public static final class Builder {
    private final Path directory;
    private Duration rescan = Duration.ofMillis(500);
    private Duration settle = Duration.ofMillis(50);
    private @Nullable String namespace;

    private Builder(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
    }

    /**
     * How often the directory is re-scanned in case the platform's file events are slow or lost;
     * default 500 ms.
     */
    public Builder rescanInterval(Duration interval) {
      this.rescan = positive(interval, "rescanInterval");
      return this;
    }

    /** How long file events must be quiet before the files are read; default 50 ms. */
    public Builder settleTime(Duration settle) {
      this.settle = positive(settle, "settleTime");
      return this;
    }

    /** The namespace of resources that name none; default the mesh's default namespace. */
    public Builder namespace(String namespace) {
      this.namespace = dev.meshwork.ServiceName.of("x", namespace).namespace();
      return this;
    }

    public SmiFileSource build() {
      return new SmiFileSource(this);
    }

    static Duration positive(Duration d, String what) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + ": " + d + " (expected a positive duration)");
      }
      return d;
    }
  }
}
