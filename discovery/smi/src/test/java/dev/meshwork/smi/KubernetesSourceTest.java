package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.RecordingListener;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes source against fabric8's mock API server in CRUD mode, over plain HTTP (so no
 * trust-all TLS), reached through a TCP proxy the test can cut to make the API server go away.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class KubernetesSourceTest {

  private static final Duration WITHIN = Duration.ofSeconds(2);

  KubernetesMockServer server;
  KubernetesClient client;

  private final RecordingListener events = new RecordingListener();
  private TcpProxy proxy;
  private KubernetesClient meshClient;
  private Mesh mesh;

  @BeforeEach
  void start() throws Exception {
    for (String crd : List.of("split", "httproutegroup", "tcproute", "udproute", "access")) {
      client
          .apiextensions()
          .v1()
          .customResourceDefinitions()
          .load(Fixtures.class.getResourceAsStream("/smi/crds/" + crd + ".yaml"))
          .create();
    }
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
    mesh =
        Mesh.builder()
            .listener(events)
            .source(
                KubernetesSource.builder(meshClient)
                    .namespace("test")
                    .version("gateway.networking.k8s.io", "v1")
                    .healthCheckInterval(Duration.ofMillis(100))
                    .build())
            .build();
    assertThat(mesh.awaitReady(Duration.ofSeconds(10))).isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    mesh.close();
    meshClient.close();
    proxy.close();
  }

  private void apply(KubernetesClient c, String apiVersion, String yaml) {
    GenericKubernetesResource r =
        c.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
    c.genericKubernetesResources(apiVersion, r.getKind())
        .inNamespace("test")
        .resource(r)
        .createOr(existing -> existing.update());
  }

  static String split(int v1, int v2) {
    return """
        apiVersion: split.smi-spec.io/v1alpha4
        kind: TrafficSplit
        metadata: {name: reviews, namespace: test}
        spec:
          service: reviews
          backends:
          - {service: reviews-v1, weight: %d}
          - {service: reviews-v2, weight: %d}
        """
        .formatted(v1, v2);
  }

  private List<Integer> weights(String service) {
    ServiceConfig c = mesh.snapshot().serviceConfig(ServiceName.of(service, "test"));
    if (c == null || c.routes().isEmpty()) {
      return List.of();
    }
    return c.routes().get(0).backends().stream().map(Backend::weight).toList();
  }

  @Test
  void creatingUpdatingAndDeletingATrafficSplitChangesRouting() {
    apply(client, "split.smi-spec.io/v1alpha4", split(90, 10));
    await().atMost(WITHIN).until(() -> weights("reviews").equals(List.of(90, 10)));
    assertThat(mesh.snapshot().serviceConfig(ServiceName.of("reviews", "test")).origin())
        .isEqualTo("kubernetes: TrafficSplit test/reviews");

    apply(client, "split.smi-spec.io/v1alpha4", split(50, 50));
    await().atMost(WITHIN).until(() -> weights("reviews").equals(List.of(50, 50)));

    client
        .genericKubernetesResources("split.smi-spec.io/v1alpha4", "TrafficSplit")
        .inNamespace("test")
        .withName("reviews")
        .delete();
    await().atMost(WITHIN).until(() -> weights("reviews").isEmpty());
  }

  @Test
  void anInvalidUpdateIsReportedAndThePreviousVersionStays() {
    apply(client, "split.smi-spec.io/v1alpha4", split(90, 10));
    await().atMost(WITHIN).until(() -> weights("reviews").equals(List.of(90, 10)));

    apply(client, "split.smi-spec.io/v1alpha4", split(90, 10).replace("weight: 10", "weight: -5"));

    await().atMost(WITHIN).until(() -> !events.rejected().isEmpty());
    assertThat(events.rejected().get(0).getMessage())
        .isEqualTo(
            "kubernetes: TrafficSplit test/reviews: spec.backends[1].weight: \"-5\""
                + " (expected a non-negative integer or quantity)");
    assertThat(weights("reviews")).containsExactly(90, 10);
  }

  static String httpRoute(String canaryWeight) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: ratings, namespace: test}
        spec:
          parentRefs:
          - {group: "", kind: Service, name: ratings, port: 8080}
          rules:
          - matches:
            - path: {type: PathPrefix, value: /api}
            backendRefs:
            - {name: ratings-v1, port: 8080, weight: 1}
            - {name: ratings-v2, port: 8080, weight: %s}
        """
        .formatted(canaryWeight);
  }

  @Test
  void creatingUpdatingAndDeletingAnHttpRouteChangesRouting() {
    apply(client, "gateway.networking.k8s.io/v1", httpRoute("1"));
    await().atMost(WITHIN).until(() -> weights("ratings").equals(List.of(1, 1)));
    Route route = mesh.snapshot().serviceConfig(ServiceName.of("ratings", "test")).routes().get(0);
    assertThat(route.matches(TestRequest.get("/api/v1"))).isTrue();
    assertThat(route.matches(TestRequest.get("/apix"))).isFalse();

    apply(client, "gateway.networking.k8s.io/v1", httpRoute("3"));
    await().atMost(WITHIN).until(() -> weights("ratings").equals(List.of(1, 3)));

    client
        .genericKubernetesResources("gateway.networking.k8s.io/v1", "HTTPRoute")
        .inNamespace("test")
        .withName("ratings")
        .delete();
    await().atMost(WITHIN).until(() -> weights("ratings").isEmpty());
  }

  static EndpointSlice slice(String name, String service, String... readyIps) {
    EndpointSliceBuilder b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("test")
            .addToLabels(EndpointSlices.SERVICE_LABEL, service)
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("http")
            .withPort(8080)
            .withProtocol("TCP")
            .endPort();
    for (String ip : readyIps) {
      b.addNewEndpoint()
          .withAddresses(ip)
          .withZone("zone-a")
          .withNewConditions()
          .withReady(true)
          .withServing(true)
          .endConditions()
          .endEndpoint();
    }
    return b.build();
  }

  private List<Endpoint> endpoints(String service) {
    return mesh.snapshot().endpoints(ServiceName.of(service, "test"));
  }

  @Test
  void endpointSlicesOfRoutedServicesBecomeEndpoints() {
    apply(client, "split.smi-spec.io/v1alpha4", split(90, 10));
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("test")
        .resource(slice("reviews-v1-abc", "reviews-v1", "10.1.0.1", "10.1.0.2"))
        .create();
    EndpointSlice notReady = slice("reviews-v2-abc", "reviews-v2", "10.2.0.1");
    notReady.getEndpoints().get(0).getConditions().setReady(false);
    notReady.getEndpoints().get(0).getConditions().setServing(false);
    notReady.getEndpoints().add(slice("x", "reviews-v2", "10.2.0.2").getEndpoints().get(0));
    client.discovery().v1().endpointSlices().inNamespace("test").resource(notReady).create();
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("test")
        .resource(slice("unrouted-abc", "unrouted", "10.9.0.1"))
        .create();

    await().atMost(WITHIN).until(() -> endpoints("reviews-v1").size() == 2);
    assertThat(endpoints("reviews-v1").get(0))
        .isEqualTo(Endpoint.of("10.1.0.1", 8080).withLabel("zone", "zone-a"));
    await().atMost(WITHIN).until(() -> endpoints("reviews-v2").size() == 1);
    assertThat(endpoints("reviews-v2").get(0).host()).isEqualTo("10.2.0.2");
    assertThat(endpoints("unrouted")).isEmpty();

    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("test")
        .resource(slice("reviews-v1-abc", "reviews-v1", "10.1.0.3"))
        .update();
    await()
        .atMost(WITHIN)
        .until(
            () ->
                endpoints("reviews-v1").stream()
                    .map(Endpoint::host)
                    .toList()
                    .equals(List.of("10.1.0.3")));

    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("test")
        .withName("reviews-v1-abc")
        .delete();
    await().atMost(WITHIN).until(() -> endpoints("reviews-v1").isEmpty());
  }

  @Test
  void whenTheApiServerGoesAwayTheLastConfigAndEndpointsStayAndItRecovers() {
    apply(client, "split.smi-spec.io/v1alpha4", split(90, 10));
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("test")
        .resource(slice("reviews-v1-abc", "reviews-v1", "10.1.0.1"))
        .create();
    await().atMost(WITHIN).until(() -> endpoints("reviews-v1").size() == 1);
    await().atMost(WITHIN).until(() -> weights("reviews").equals(List.of(90, 10)));

    proxy.pause();
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.events("sourceFailed").isEmpty());
    // Changes made while the mesh cannot see the API server...
    apply(client, "split.smi-spec.io/v1alpha4", split(20, 80));
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("test")
        .resource(slice("reviews-v1-abc", "reviews-v1", "10.1.0.7"))
        .update();
    // ...do not reach it, and nothing it knew is lost.
    assertThat(weights("reviews")).containsExactly(90, 10);
    assertThat(endpoints("reviews-v1")).extracting(Endpoint::host).containsExactly("10.1.0.1");

    proxy.resume();
    await().atMost(Duration.ofSeconds(10)).until(() -> weights("reviews").equals(List.of(20, 80)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                endpoints("reviews-v1").stream()
                    .map(Endpoint::host)
                    .toList()
                    .equals(List.of("10.1.0.7")));
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.events("sourceRecovered").isEmpty());
  }
}
