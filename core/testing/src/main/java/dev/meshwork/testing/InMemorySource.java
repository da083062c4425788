package dev.meshwork.testing;

import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshSource;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A {@link MeshSource} that a test drives by hand: publish config and endpoints, fail, recover,
 * become ready, all at the moment the test chooses. Calls made before the mesh starts the source
 * are replayed when it does.
 *
 * <pre>{@code
 * InMemorySource source = new InMemorySource();
 * Mesh mesh = Mesh.builder().source(source).build();
 * source.endpoints("reviews", Endpoint.of("127.0.0.1", server.getPort()));
 * source.ready();
 * }</pre>
 */
public final class InMemorySource implements MeshSource {

  private final String name;
  private final List<java.util.function.Consumer<SourceContext>> pending =
      new CopyOnWriteArrayList<>();
  private volatile @Nullable SourceContext context;
  private volatile Set<ServiceName> services = Set.of();

  public InMemorySource() {
    this("in-memory");
  }

  public InMemorySource(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public synchronized void start(SourceContext context) {
    this.context = context;
    context.onServicesChanged(s -> services = s);
    pending.forEach(p -> p.accept(context));
    pending.clear();
  }

  private synchronized void run(java.util.function.Consumer<SourceContext> action) {
    SourceContext c = context;
    if (c == null) {
      pending.add(action);
    } else {
      action.accept(c);
    }
  }

  public InMemorySource config(MeshConfig config) {
    run(c -> c.publishConfig(config));
    return this;
  }

  public InMemorySource endpoints(String service, Endpoint... endpoints) {
    return endpoints(ServiceName.parse(service), Arrays.asList(endpoints));
  }

  public InMemorySource endpoints(ServiceName service, List<Endpoint> endpoints) {
    run(c -> c.publishEndpoints(service, endpoints));
    return this;
  }

  public InMemorySource remove(String service) {
    run(c -> c.removeEndpoints(ServiceName.parse(service)));
    return this;
  }

  public InMemorySource reject(ConfigException error) {
    run(c -> c.rejectConfig(error));
    return this;
  }

  public InMemorySource fail(Throwable error) {
    run(c -> c.reportFailure(error));
    return this;
  }

  public InMemorySource recover() {
    run(SourceContext::reportRecovered);
    return this;
  }

  public InMemorySource ready() {
    run(SourceContext::ready);
    return this;
  }

  /** The services the mesh last said it routes (see {@link SourceContext#onServicesChanged}). */
  public Set<ServiceName> servicesSeen() {
    return services;
  }

  @Override
  public String toString() {
    return "InMemorySource{" + name + "}";
  }
}
