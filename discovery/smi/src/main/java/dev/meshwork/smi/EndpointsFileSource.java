package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.MeshSource;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints from one watched YAML file, for running without Kubernetes (a laptop, VMs): a mapping
 * from service name to its instances, each {@code host:port} or a mapping with {@code address},
 * {@code port} and optional {@code weight}, {@code zone}, {@code labels} and {@code identity}.
 *
 * <pre>
 * reviews-v1:
 * - 10.0.0.1:8080
 * - address: 10.0.0.2
 *   port: 8080
 *   zone: eu-west-1a
 *   labels: {version: v1}
 * reviews-v2: ["10.0.0.3:8080"]
 * </pre>
 *
 * <p>Changes are applied within a second. An invalid file is reported to {@link
 * dev.meshwork.MeshListener#configRejected} and the endpoints it gave before stay; a service that
 * disappears from the file is forgotten. Thread-safe.
 *
 * <pre>{@code
 * Mesh mesh = Mesh.builder()
 *     .source(SmiFileSource.watching(Path.of("config/mesh")))
 *     .source(EndpointsFileSource.watching(Path.of("config/endpoints.yaml")))
 *     .build();
 * }</pre>
 */
public final class EndpointsFileSource implements MeshSource {

  private final Path file;
  private final Duration rescan;
  private final Duration settle;
  private final @Nullable String namespace;
  private @Nullable DirectoryWatcher watcher;
  private @Nullable SourceContext context;
  private Map<ServiceName, List<Endpoint>> published = Map.of();
  private boolean ready;

  private EndpointsFileSource(Builder b) {
    this.file = b.file.toAbsolutePath().normalize();
    this.rescan = b.rescan;
    this.settle = b.settle;
    this.namespace = b.namespace;
  }

  public static EndpointsFileSource watching(Path file) {
    return builder(file).build();
  }

  public static Builder builder(Path file) {
    return new Builder(file);
  }

  @Override
  public String name() {
    return "endpoints file " + file;
  }

  @Override
  public synchronized void start(SourceContext context) {
    this.context = context;
    Path dir = Objects.requireNonNull(file.getParent(), "file has no directory");
    DirectoryWatcher w =
        new DirectoryWatcher(
            dir,
            file::equals,
            rescan,
            settle,
            new DirectoryWatcher.Listener() {
              @Override
              public void changed(Map<Path, byte[]> changed, Set<Path> removed) {
                byte[] bytes = changed.get(file);
                apply(bytes == null && removed.contains(file) ? new byte[0] : bytes);
              }

              @Override
              public void failed(IOException error) {
                fail(error);
              }
            },
            "meshwork-endpoints-file");
    this.watcher = w;
    w.start();
  }

  private synchronized void apply(byte @Nullable [] bytes) {
    SourceContext ctx = Objects.requireNonNull(context);
    ctx.reportRecovered();
    if (bytes != null) {
      String ns = namespace != null ? namespace : ctx.defaultNamespace();
      try {
        Map<ServiceName, List<Endpoint>> next =
            EndpointsFile.parse(
                file.getFileName().toString(), new String(bytes, StandardCharsets.UTF_8), ns);
        for (ServiceName gone : published.keySet()) {
          if (!next.containsKey(gone)) {
            ctx.removeEndpoints(gone);
          }
        }
        next.forEach(
            (service, endpoints) -> {
              if (!endpoints.equals(published.get(service))) {
                ctx.publishEndpoints(service, endpoints);
              }
            });
        published = new HashMap<>(next);
      } catch (ConfigException e) {
        ctx.rejectConfig(e);
      }
    }
    markReady(ctx);
  }

  private synchronized void fail(IOException error) {
    SourceContext ctx = Objects.requireNonNull(context);
    ctx.reportFailure(error);
    markReady(ctx);
  }

  private void markReady(SourceContext ctx) {
    if (!ready) {
      ready = true;
      ctx.ready();
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
    return "EndpointsFileSource{" + file + "}";
  }

  /** Configures an {@link EndpointsFileSource}. Not thread-safe. */
  public static final class Builder {
    private final Path file;
    private Duration rescan = Duration.ofMillis(500);
    private Duration settle = Duration.ofMillis(50);
    private @Nullable String namespace;

    private Builder(Path file) {
      this.file = Objects.requireNonNull(file, "file");
    }

    /** How often the file is re-checked in case file events are slow or lost; default 500 ms. */
    public Builder rescanInterval(Duration interval) {
      this.rescan = SmiFileSource.Builder.positive(interval, "rescanInterval");
      return this;
    }

    /** How long file events must be quiet before the file is read; default 50 ms. */
    public Builder settleTime(Duration settle) {
      this.settle = SmiFileSource.Builder.positive(settle, "settleTime");
      return this;
    }

    /** The namespace of services named without one; default the mesh's default namespace. */
    public Builder namespace(String namespace) {
      this.namespace = ServiceName.of("x", namespace).namespace();
      return this;
    }

    public EndpointsFileSource build() {
      return new EndpointsFileSource(this);
    }
  }
}
