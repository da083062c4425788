package dev.meshwork.smi;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The service account of every pod of a namespace, as a pod informer's store: the informer hands it
 * whole pods, and it keeps only what identifies them (name, namespace, uid, resourceVersion) and
 * {@code spec.serviceAccountName}, so watching a namespace's pods costs a few hundred bytes per pod
 * rather than the whole pod spec. Thread-safe.
 */
final class PodServiceAccounts implements ItemStore<Pod> {

  private final Map<String, Pod> pods = new ConcurrentHashMap<>();

  /** The service account of the pod {@code namespace/name}, or null if the pod is unknown. */
  @Nullable String serviceAccount(String namespace, String name) {
    Pod p = pods.get(namespace + "/" + name);
    if (p == null) {
      return null;
    }
    String sa = p.getSpec() == null ? null : p.getSpec().getServiceAccountName();
    // The API server fills in "default" when a pod names none.
    return sa == null || sa.isEmpty() ? "default" : sa;
  }

  @Override
  public String getKey(Pod pod) {
    return Cache.metaNamespaceKeyFunc(pod);
  }

  @Override
  public Pod put(String key, Pod pod) {
    return pods.put(key, slim(pod));
  }

  private static Pod slim(Pod pod) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(pod.getMetadata().getName())
        .withNamespace(pod.getMetadata().getNamespace())
        .withUid(pod.getMetadata().getUid())
        .withResourceVersion(pod.getMetadata().getResourceVersion())
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(
            pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName())
        .endSpec()
        .build();
  }

  @Override
  public Pod remove(String key) {
    return pods.remove(key);
  }

  @Override
  public Stream<String> keySet() {
    return pods.keySet().stream();
  }

  @Override
  public Stream<Pod> values() {
    return pods.values().stream();
  }

  @Override
  public int size() {
    return pods.size();
  }

  @Override
  public Pod get(String key) {
    return pods.get(key);
  }
}
