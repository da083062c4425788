package dev.meshwork.smi;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The fabric8 informers of one namespace: one per SMI / Gateway API kind the cluster serves, plus
 * EndpointSlices. Informers list, then watch, and on their own reconnect and relist after an
 * outage, delivering only the differences. Thread-safe.
 */
final class Informers {

  private static final System.Logger LOG = System.getLogger(Informers.class.getName());

  /** Where informer events go; called on fabric8's threads. */
  interface Events {
    void upsert(String apiVersion, String kind, GenericKubernetesResource resource);

    void delete(String kind, GenericKubernetesResource resource);

    void sliceChanged(EndpointSlice slice);

    /** An informer failed; returns whether it should retry. */
    boolean failed(Throwable error);
  }

  private final List<SharedIndexInformer<?>> all = new CopyOnWriteArrayList<>();
  private volatile @Nullable SharedIndexInformer<EndpointSlice> slices;

  /**
   * Discovers the served versions and starts the informers; the result completes once each has
   * listed. If discovery or a start fails, everything started is stopped and the error thrown.
   */
  CompletableFuture<Void> start(
      KubernetesClient client, String namespace, Map<String, String> pinned, Events events) {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    try {
      for (ApiVersions.Kind kind : ApiVersions.KINDS) {
        ApiVersions.served(client, kind, pinned)
            .ifPresentOrElse(
                version -> started.add(inform(client, namespace, kind, version, events)),
                () -> LOG.log(System.Logger.Level.INFO, "{0} not served", kind.kind()));
      }
      SharedIndexInformer<EndpointSlice> s =
          client.discovery().v1().endpointSlices().inNamespace(namespace).runnableInformer(0);
      s.addEventHandler(handler(events::sliceChanged, events::sliceChanged));
      s.exceptionHandler((wasStarted, error) -> events.failed(error));
      all.add(s);
      slices = s;
      started.add(s.start().toCompletableFuture());
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
    return CompletableFuture.allOf(started.toArray(new CompletableFuture<?>[0]));
  }

  private CompletableFuture<Void> inform(
      KubernetesClient client,
      String namespace,
      ApiVersions.Kind kind,
      String version,
      Events events) {
    SharedIndexInformer<GenericKubernetesResource> informer =
        client
            .genericKubernetesResources(kind.context(version))
            .inNamespace(namespace)
            .runnableInformer(0);
    String apiVersion = kind.group() + "/" + version;
    informer.addEventHandler(
        handler(
            r -> events.upsert(apiVersion, kind.kind(), r), r -> events.delete(kind.kind(), r)));
    informer.exceptionHandler((wasStarted, error) -> events.failed(error));
    all.add(informer);
    return informer.start().toCompletableFuture();
  }

  private static <T> ResourceEventHandler<T> handler(Consumer<T> upsert, Consumer<T> delete) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        upsert.accept(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        upsert.accept(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        delete.accept(obj);
      }
    };
  }

  /** Whether every informer has a live watch on the API server. */
  boolean watching() {
    return all.stream().allMatch(SharedIndexInformer::isWatching);
  }

  /** The EndpointSlices currently known. */
  List<EndpointSlice> slices() {
    SharedIndexInformer<EndpointSlice> s = slices;
    return s == null ? List.of() : s.getStore().list();
  }

  void stop() {
    all.forEach(SharedIndexInformer::stop);
    all.clear();
    slices = null;
  }
}
