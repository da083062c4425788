package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.RecordingListener;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes source when the cluster is not as expected at startup (an API server that cannot
 * be reached, a CRD installed later), and the workload identities of its endpoints, against
 * fabric8's mock API server in CRUD mode over plain HTTP, behind a TCP proxy the test can cut.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesSourceStartupTest {

  private static final Duration WITHIN = Duration.ofSeconds(5);

  KubernetesMockServer server;
  KubernetesClient client;

  private final RecordingListener events = new RecordingListener();
  private TcpProxy proxy;
  private KubernetesClient meshClient;
  private KubernetesSource source;
  private Mesh mesh;

  @BeforeEach
  void start() throws Exception {
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .load(Fixtures.class.getResourceAsStream("/smi/crds/split.yaml"))
        .create();
    proxy = new TcpProxy(URI.create(client.getConfiguration().getMasterUrl()).getPort());
    meshClient =
        new KubernetesClientBuilder()
            .withConfig(
                new ConfigBuilder(client.getConfiguration())
                    .withMasterUrl("http://127.0.0.1:" + proxy.port() + "/")
                    .withWatchReconnectInterval(100)
                    .withWatchReconnectLimit(-1)
                    .withRequestRetryBackoffInterval(50)
                    .withRequestRetryBackoffLimit(1)
                    .withConnectionTimeout(1000)
                    .withRequestTimeout(2000)
                    .build())
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    if (mesh != null) {
      mesh.close();
    }
    meshClient.close();
    proxy.close();
  }

  private void startMesh(UnaryOperator<KubernetesSource.Builder> options) {
    source =
        options
            .apply(
                KubernetesSource.builder(meshClient)
                    .namespace("test")
                    .healthCheckInterval(Duration.ofMillis(100))
                    .discoveryInterval(Duration.ofMillis(100)))
            .build();
    mesh = Mesh.builder().listener(events).source(source).build();
  }

  private void apply(String apiVersion, String yaml) {
    GenericKubernetesResource r =
        client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    client
        .genericKubernetesResources(apiVersion, r.getKind())
        .inNamespace("test")
        .resource(r)
        .createOr(existing -> existing.update());
  }

  private List<Integer> weights(String service) {
    ServiceConfig c = mesh.snapshot().serviceConfig(ServiceName.of(service, "test"));
    if (c == null || c.routes().isEmpty()) {
      return List.of();
    }
    return c.routes().get(0).backends().stream().map(Backend::weight).toList();
  }

  @Test
  void anApiServerUnreachableAtStartupIsRetriedUntilTheSourceIsReady() throws Exception {
    apply("split.smi-spec.io/v1alpha4", KubernetesSourceTest.split(70, 30));
    proxy.pause();

    startMesh(b -> b);

    await().atMost(WITHIN).until(() -> !events.events("sourceFailed").isEmpty());
    assertThat(mesh.awaitReady(Duration.ofMillis(1))).isFalse();

    proxy.resume();

    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    assertThat(weights("reviews")).containsExactly(70, 30);
    await().atMost(WITHIN).until(() -> !events.events("sourceRecovered").isEmpty());
  }

  private void installHttpRouteCrd() {
    client
        .apiextensions()
        .v1()
        .customResourceDefinitions()
        .resource(
            new CustomResourceDefinitionBuilder()
                .withNewMetadata()
                .withName("httproutes.gateway.networking.k8s.io")
                .endMetadata()
                .withNewSpec()
                .withGroup("gateway.networking.k8s.io")
                .withScope("Namespaced")
                .withNewNames()
                .withKind("HTTPRoute")
                .withListKind("HTTPRouteList")
                .withPlural("httproutes")
                .withSingular("httproute")
                .endNames()
                .addNewVersion()
                .withName("v1")
                .withServed(true)
                .withStorage(true)
                .withNewSchema()
                .withNewOpenAPIV3Schema()
                .withType("object")
                .withXKubernetesPreserveUnknownFields(true)
                .endOpenAPIV3Schema()
                .endSchema()
                .endVersion()
                .endSpec()
                .build())
        .create();
  }

  @Test
  void aKindWhoseCrdIsInstalledAfterStartupIsWatchedWithoutARestart() throws Exception {
    startMesh(b -> b);
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    assertThat(source.watchedKinds()).contains("TrafficSplit").doesNotContain("HTTPRoute");

    installHttpRouteCrd();
    apply("gateway.networking.k8s.io/v1", KubernetesSourceTest.httpRoute("3"));

    await().atMost(WITHIN).until(() -> weights("ratings").equals(List.of(1, 3)));
    assertThat(source.watchedKinds()).contains("HTTPRoute");
    assertThat(events.events("sourceFailed")).isEmpty();
  }

  private void createPod(String name, String serviceAccount) {
    client
        .pods()
        .inNamespace("test")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("test")
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(serviceAccount)
                .addNewContainer()
                .withName("app")
                .withImage("registry.example/reviews:1")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  /** A slice of reviews-v1 with one ready endpoint per (ip, pod) pair. */
  private void createSlice(String... ipsAndPods) {
    EndpointSliceBuilder b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName("reviews-v1-abc")
            .withNamespace("test")
            .addToLabels(EndpointSlices.SERVICE_LABEL, "reviews-v1")
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("http")
            .withPort(8080)
            .withProtocol("TCP")
            .endPort();
    for (int i = 0; i < ipsAndPods.length; i += 2) {
      b.addNewEndpoint()
          .withAddresses(ipsAndPods[i])
          .withNewConditions()
          .withReady(true)
          .endConditions()
          .withNewTargetRef()
          .withKind("Pod")
          .withName(ipsAndPods[i + 1])
          .withNamespace("test")
          .endTargetRef()
          .endEndpoint();
    }
    client.discovery().v1().endpointSlices().inNamespace("test").resource(b.build()).create();
  }

  private List<String> identities() {
    return mesh.snapshot().endpoints(ServiceName.of("reviews-v1", "test")).stream()
        .map(Endpoint::identity)
        .toList();
  }

  @Test
  void endpointsCarryTheirPodsServiceAccountAsASpiffeIdEvenWhenThePodIsSeenLater()
      throws Exception {
    createPod("reviews-v1-a", "reviews");
    apply("split.smi-spec.io/v1alpha4", KubernetesSourceTest.split(90, 10));
    // The second pod's endpoint is in the slice before the pod is known.
    createSlice("10.1.0.1", "reviews-v1-a", "10.1.0.2", "reviews-v1-b");

    startMesh(b -> b.trustDomain("prod.example.org"));
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    await().atMost(WITHIN).until(() -> identities().size() == 2);
    assertThat(identities()).containsExactly("spiffe://prod.example.org/ns/test/sa/reviews", null);

    createPod("reviews-v1-b", "reviews-canary");

    await()
        .atMost(WITHIN)
        .until(
            () ->
                identities()
                    .equals(
                        List.of(
                            "spiffe://prod.example.org/ns/test/sa/reviews",
                            "spiffe://prod.example.org/ns/test/sa/reviews-canary")));
  }

  @Test
  void theTrustDomainIsClusterLocalByDefaultAndIdentitiesCanBeTurnedOff() throws Exception {
    createPod("reviews-v1-a", "reviews");
    apply("split.smi-spec.io/v1alpha4", KubernetesSourceTest.split(90, 10));
    createSlice("10.1.0.1", "reviews-v1-a");
    startMesh(b -> b);
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    await().atMost(WITHIN).until(() -> identities().size() == 1);
    assertThat(identities()).containsExactly("spiffe://cluster.local/ns/test/sa/reviews");
    mesh.close();

    startMesh(b -> b.endpointIdentities(false));
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    await().atMost(WITHIN).until(() -> identities().size() == 1);
    assertThat(identities()).containsOnlyNulls();
  }

  @Test
  void withoutPermissionToListPodsEndpointsCarryNoIdentityAndNothingFails() throws Exception {
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/test/pods?resourceVersion=0")
        .andReturn(
            403,
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                + "\"message\":\"pods is forbidden: User \\\"system:serviceaccount:test:app\\\""
                + " cannot list resource \\\"pods\\\" in API group \\\"\\\" in the namespace"
                + " \\\"test\\\"\",\"reason\":\"Forbidden\",\"code\":403}")
        .always();
    createPod("reviews-v1-a", "reviews");
    apply("split.smi-spec.io/v1alpha4", KubernetesSourceTest.split(90, 10));
    createSlice("10.1.0.1", "reviews-v1-a");

    startMesh(b -> b);

    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
    await().atMost(WITHIN).until(() -> identities().size() == 1);
    assertThat(identities()).containsOnlyNulls();
    // Watches stay healthy: the forbidden pod informer is not counted as an outage.
    apply("split.smi-spec.io/v1alpha4", KubernetesSourceTest.split(50, 50));
    await().atMost(WITHIN).until(() -> weights("reviews").equals(List.of(50, 50)));
    assertThat(events.events("sourceFailed")).isEmpty();
  }
}
