package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

/** The pod store keeps what identifies a pod and its service account, and nothing else. */
class PodServiceAccountsTest {

  private static Pod pod(String name, String serviceAccount) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("shop")
        .withResourceVersion("42")
        .withUid("uid-" + name)
        .addToLabels("app", "cart")
        .addToAnnotations("note", "x".repeat(10_000))
        .endMetadata()
        .withNewSpec()
        .withServiceAccountName(serviceAccount)
        .addNewContainer()
        .withName("app")
        .withImage("registry.example/cart:1")
        .endContainer()
        .endSpec()
        .build();
  }

  @Test
  void onlyTheIdentityAndTheServiceAccountOfAPodAreKept() {
    PodServiceAccounts store = new PodServiceAccounts();
    Pod full = pod("cart-1", "cart");

    store.put(store.getKey(full), full);

    Pod kept = store.get("shop/cart-1");
    assertThat(kept.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(kept.getMetadata().getUid()).isEqualTo("uid-cart-1");
    assertThat(kept.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(kept.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(kept.getSpec().getContainers()).isNullOrEmpty();
    assertThat(store.serviceAccount("shop", "cart-1")).isEqualTo("cart");
  }

  @Test
  void aPodWithoutServiceAccountRunsAsDefaultAndAnUnknownPodHasNone() {
    PodServiceAccounts store = new PodServiceAccounts();
    Pod p = pod("cart-2", null);
    store.put(store.getKey(p), p);

    assertThat(store.serviceAccount("shop", "cart-2")).isEqualTo("default");
    assertThat(store.serviceAccount("shop", "cart-3")).isNull();
    store.remove("shop/cart-2");
    assertThat(store.serviceAccount("shop", "cart-2")).isNull();
  }
}
