package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import dev.meshwork.MeshConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.SourceContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * What the Kubernetes source knows of its namespace, kept from informer events and published to the
 * mesh: the last good version of every resource (an invalid one is reported and its previous
 * version stays), and the endpoints of the Services the mesh routes to. Changes are debounced for
 * {@value #DEBOUNCE_MILLIS} ms and published only when something changed; nothing is published
 * before the first complete listing. Thread-safe.
 */
final class NamespaceMirror implements Informers.Events {

  private static final long DEBOUNCE_MILLIS = 20;

  private final SourceContext context;
  private final ResourceParser parser;
  private final ServiceEndpoints endpoints;
  private final Informers informers;
  private final ScheduledExecutorService executor;
  private final ResourceStore store = new ResourceStore();
  private @Nullable MeshConfig published;
  private Set<String> reported = Set.of();
  private boolean synced;
  private boolean pending;
  private boolean closed;

  NamespaceMirror(
      String namespace,
      SourceContext context,
      ServiceEndpoints endpoints,
      Informers informers,
      ScheduledExecutorService executor) {
    this.context = context;
    this.parser = new ResourceParser(namespace);
    this.endpoints = endpoints;
    this.informers = informers;
    this.executor = executor;
  }

  @Override
  public void upsert(String apiVersion, String kind, GenericKubernetesResource r) {
    Map<String, Object> doc = ApiVersions.document(apiVersion, kind, r);
    synchronized (this) {
      try {
        Resource parsed = parser.parse(Node.root("", doc), "kubernetes");
        if (parsed != null) {
          store.put(bucket(kind, r), List.of(parsed));
        }
      } catch (ConfigException e) {
        // The resource's previous version, if any, stays in force.
        context.rejectConfig(e);
        return;
      }
      schedule();
    }
  }

  @Override
  public synchronized void delete(String kind, GenericKubernetesResource r) {
    if (store.remove(bucket(kind, r))) {
      schedule();
    }
  }

  private static String bucket(String kind, GenericKubernetesResource r) {
    return kind + "/" + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName();
  }

  @Override
  public synchronized void sliceChanged(EndpointSlice slice) {
    String service = EndpointSlices.service(slice);
    if (service != null) {
      endpoints.changed(service);
      schedule();
    }
  }

  @Override
  public synchronized void podsChanged() {
    endpoints.allChanged();
    schedule();
  }

  /** Failures are the connection's to report; see {@link ApiServerConnection}. */
  @Override
  public boolean failed(Throwable error) {
    return true;
  }

  /** The mesh now routes {@code services}. */
  synchronized void servicesChanged(Set<ServiceName> services) {
    endpoints.watch(services);
    schedule();
  }

  /** Every informer has listed: publishes the first full view and tells the mesh it is ready. */
  synchronized void synced() {
    if (closed || synced) {
      return;
    }
    synced = true;
    flush();
    context.ready();
  }

  private synchronized void schedule() {
    if (!pending && !closed) {
      pending = true;
      executor.schedule(this::flush, DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /** Publishes what changed since the last flush; nothing before the first complete listing. */
  private synchronized void flush() {
    pending = false;
    if (!synced || closed) {
      return;
    }
    Compiler.Result result = store.compile();
    Set<String> now = new HashSet<>();
    for (ConfigException problem : result.problems()) {
      now.add(problem.getMessage());
      if (!reported.contains(problem.getMessage())) {
        context.rejectConfig(problem);
      }
    }
    reported = now;
    if (!result.config().equals(published)) {
      published = result.config();
      context.publishConfig(result.config());
    }
    endpoints.publish(context, informers.slices(), informers.pods());
  }

  synchronized void close() {
    closed = true;
  }

  @Override
  public synchronized String toString() {
    return "NamespaceMirror{synced=" + synced + ", reported=" + reported.size() + "}";
  }
}
