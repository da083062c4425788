package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which version of each kind is watched, against the mock API server's discovery. */
@EnableKubernetesMockClient(crud = true, https = false)
class ApiVersionsTest {

  KubernetesClient client;

  private static ApiVersions.Kind kind(String name) {
    return ApiVersions.KINDS.stream().filter(k -> k.kind().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void theVersionTheClusterServesIsWatchedAndAPinnedOneWins() {
    for (String crd : new String[] {"split", "access"}) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .load(Fixtures.class.getResourceAsStream("/smi/crds/" + crd + ".yaml"))
          .create();
    }
    assertThat(ApiVersions.served(client, kind("TrafficSplit"), Map.of())).contains("v1alpha4");
    assertThat(ApiVersions.served(client, kind("TrafficTarget"), Map.of())).contains("v1alpha3");
    assertThat(ApiVersions.served(client, kind("IdentityBinding"), Map.of())).isEmpty();
    assertThat(
            ApiVersions.served(
                client, kind("TrafficSplit"), Map.of("split.smi-spec.io", "v1alpha2")))
        .contains("v1alpha2");
  }
}
