package dev.meshwork.smi;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The fabric8 informers of one namespace: one per SMI / Gateway API kind the cluster serves, plus
 * EndpointSlices and, for endpoint identities, pods (kept slim by {@link PodServiceAccounts}).
 * Informers list, then watch, and on their own reconnect and relist after an outage, delivering
 * only the differences. Kinds the cluster did not serve can be looked for again ({@link
 * #startNewlyServed}), so a CRD installed later is picked up. Thread-safe.
 */
final class Informers {

  private static final System.Logger LOG = System.getLogger(Informers.class.getName());

  /** Where informer events go; called on fabric8's threads. */
  interface Events {
    void upsert(String apiVersion, String kind, GenericKubernetesResource resource);

    void delete(String kind, GenericKubernetesResource resource);

    void sliceChanged(EndpointSlice slice);

    /** A pod appeared or went away, so an endpoint's service account may now be known. */
    void podsChanged();

    /** An informer failed; returns whether it should retry. */
    boolean failed(Throwable error);
  }

  private final List<SharedIndexInformer<?>> all = new CopyOnWriteArrayList<>();

  /** Informers whose first listing and watch are still being set up: not yet an outage. */
  private final Set<SharedIndexInformer<?>> starting = ConcurrentHashMap.newKeySet();

  private final Set<String> informed = ConcurrentHashMap.newKeySet();
  private volatile @Nullable SharedIndexInformer<EndpointSlice> slices;
  private volatile @Nullable PodServiceAccounts pods;

  /**
   * Discovers the served versions and starts the informers; the result completes once each has
   * listed. If discovery or a start fails, everything started is stopped and the error thrown.
   *
   * @param watchPods whether to watch pods for their service accounts
   */
  CompletableFuture<Void> start(
      KubernetesClient client,
      String namespace,
      Map<String, String> pinned,
      Events events,
      boolean watchPods) {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    try {
      started.addAll(startNewlyServed(client, namespace, pinned, events));
      SharedIndexInformer<EndpointSlice> s =
          client.discovery().v1().endpointSlices().inNamespace(namespace).runnableInformer(0);
      s.addEventHandler(handler(events::sliceChanged, events::sliceChanged));
      s.exceptionHandler((wasStarted, error) -> events.failed(error));
      all.add(s);
      slices = s;
      started.add(start(s));
      if (watchPods) {
        started.add(startPods(client, namespace, events));
      }
    } catch (RuntimeException e) {
      stop();
      throw e;
    }
    return CompletableFuture.allOf(started.toArray(new CompletableFuture<?>[0]));
  }

  /**
   * Starts an informer for every kind that is served now and not watched yet; returns their first
   * listings.
   *
   * @throws KubernetesClientException if the API server cannot be asked
   */
  List<CompletableFuture<Void>> startNewlyServed(
      KubernetesClient client, String namespace, Map<String, String> pinned, Events events) {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (ApiVersions.Kind kind : ApiVersions.KINDS) {
      if (informed.contains(kind.kind())) {
        continue;
      }
      ApiVersions.served(client, kind, pinned)
          .ifPresentOrElse(
              version -> {
                informed.add(kind.kind());
                LOG.log(System.Logger.Level.INFO, "watching {0} {1}", kind.kind(), version);
                started.add(inform(client, namespace, kind, version, events));
              },
              () -> LOG.log(System.Logger.Level.DEBUG, "{0} not served", kind.kind()));
    }
    return started;
  }

  /**
   * Pods, for their service accounts. Without permission to list them (403), endpoints simply carry
   * no identity: the informer stops, and neither readiness nor health waits for it.
   */
  private CompletableFuture<Void> startPods(
      KubernetesClient client, String namespace, Events events) {
    PodServiceAccounts store = new PodServiceAccounts();
    SharedIndexInformer<Pod> p = client.pods().inNamespace(namespace).runnableInformer(0);
    p.itemStore(store);
    p.addEventHandler(handler(pod -> events.podsChanged(), pod -> events.podsChanged()));
    p.exceptionHandler(
        (wasStarted, error) -> {
          if (isForbidden(error)) {
            LOG.log(
                System.Logger.Level.WARNING,
                "not allowed to list pods in {0}; endpoints carry no identity",
                namespace);
            all.remove(p);
            pods = null;
            return false;
          }
          return events.failed(error);
        });
    all.add(p);
    pods = store;
    // A forbidden listing completes exceptionally; the source is ready without identities.
    return start(p).exceptionally(error -> null);
  }

  /** Whether the API server answered 403 (the error may arrive wrapped). */
  private static boolean isForbidden(@Nullable Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException
          && ((KubernetesClientException) t).getCode() == 403) {
        return true;
      }
    }
    return false;
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
    return start(informer);
  }

  /** Starts {@code informer}; {@link #watching} counts it once its start has completed. */
  private CompletableFuture<Void> start(SharedIndexInformer<?> informer) {
    starting.add(informer);
    CompletableFuture<Void> started = informer.start().toCompletableFuture();
    started.whenComplete((ok, error) -> starting.remove(informer));
    return started;
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

  /**
   * Whether every started informer has a live watch on the API server. One still starting (for a
   * kind served since the last look) has no watch yet, and that is not an outage.
   */
  boolean watching() {
    return all.stream().allMatch(i -> i.isWatching() || starting.contains(i));
  }

  /** The kinds watched now. */
  Set<String> kinds() {
    return Set.copyOf(informed);
  }

  /** The EndpointSlices currently known. */
  List<EndpointSlice> slices() {
    SharedIndexInformer<EndpointSlice> s = slices;
    return s == null ? List.of() : s.getStore().list();
  }

  /** Pods' service accounts, or null when pods are not watched. */
  @Nullable PodServiceAccounts pods() {
    return pods;
  }

  void stop() {
    all.forEach(SharedIndexInformer::stop);
    all.clear();
    starting.clear();
    informed.clear();
    slices = null;
    pods = null;
  }
}
