package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.meshwork.Backend;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.testing.RecordingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmiFileSourceTest {

  @TempDir Path dir;
  private final RecordingListener events = new RecordingListener();
  private Mesh mesh;

  @AfterEach
  void close() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private Mesh start() throws InterruptedException {
    mesh =
        Mesh.builder()
            .listener(events)
            .source(
                SmiFileSource.builder(dir)
                    .rescanInterval(Duration.ofMillis(200))
                    .settleTime(Duration.ofMillis(20))
                    .build())
            .build();
    assertThat(mesh.awaitReady(Duration.ofSeconds(5))).isTrue();
    return mesh;
  }

  static String split(String name, String service, int v1, int v2) {
    return """
        apiVersion: split.smi-spec.io/v1alpha2
        kind: TrafficSplit
        metadata:
          name: %s
        spec:
          service: %s
          backends:
          - service: %s-v1
            weight: %d
          - service: %s-v2
            weight: %d
        """
        .formatted(name, service, service, v1, service, v2);
  }

  private List<Integer> weights(String service) {
    ServiceConfig c = mesh.snapshot().serviceConfig(ServiceName.of(service));
    if (c == null || c.routes().isEmpty()) {
      return List.of();
    }
    return c.routes().get(0).backends().stream().map(Backend::weight).toList();
  }

  private void write(String file, String text) throws IOException {
    // Atomic replace, as the class documentation recommends.
    Path tmp = Files.createTempFile(dir.getParent(), "smi", ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void aChangedFileIsAppliedWithinOneSecond() throws Exception {
    write("split.yaml", split("canary", "website", 90, 10));
    start();
    assertThat(weights("website")).containsExactly(90, 10);

    write("split.yaml", split("canary", "website", 50, 50));

    await().atMost(Duration.ofSeconds(1)).until(() -> weights("website").equals(List.of(50, 50)));
  }

  @Test
  void aChangeWrittenInPlaceIsApplied() throws Exception {
    Files.writeString(dir.resolve("split.yaml"), split("canary", "website", 90, 10));
    start();
    Files.writeString(dir.resolve("split.yaml"), split("canary", "website", 70, 30));
    await().atMost(Duration.ofSeconds(5)).until(() -> weights("website").equals(List.of(70, 30)));
  }

  @Test
  void aHalfWrittenFileIsReportedAndItsPreviousConfigStaysWhileOtherFilesApply() throws Exception {
    write("website.yaml", split("canary", "website", 90, 10));
    write("reviews.yaml", split("reviews", "reviews", 100, 0));
    start();
    String whole = split("canary", "website", 10, 90);

    // Cut off after the second backend's name: the weight it needs has not been written yet.
    write("website.yaml", whole.substring(0, whole.indexOf("    weight: 90")));
    write("reviews.yaml", split("reviews", "reviews", 80, 20));

    await().atMost(Duration.ofSeconds(5)).until(() -> weights("reviews").equals(List.of(80, 20)));
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.rejected().isEmpty());
    assertThat(events.rejected().get(0).getMessage())
        .isEqualTo(
            "website.yaml: TrafficSplit default/canary: spec.backends[1].weight: \"null\""
                + " (expected a non-negative integer or quantity)");
    assertThat(weights("website")).containsExactly(90, 10);

    write("website.yaml", whole);
    await().atMost(Duration.ofSeconds(5)).until(() -> weights("website").equals(List.of(10, 90)));
  }

  @Test
  void invalidYamlIsReportedWithTheFileAndLine() throws Exception {
    write("website.yaml", split("canary", "website", 90, 10));
    start();
    write("website.yaml", "apiVersion: split.smi-spec.io/v1alpha2\nkind: [TrafficSplit\n");
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.rejected().isEmpty());
    assertThat(events.rejected().get(0).getMessage()).startsWith("website.yaml: line ");
    assertThat(weights("website")).containsExactly(90, 10);
  }

  @Test
  void multiDocumentFilesAndKubectlListsAreRead() throws Exception {
    write("ab.yaml", Fixtures.read("spec/trafficsplit-v1alpha4-ab-test.yaml"));
    write(
        "list.yaml",
        """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: split.smi-spec.io/v1alpha1
          kind: TrafficSplit
          metadata: {name: foobar, namespace: default}
          spec:
            service: foobar
            backends: [{service: foobar-v1, weight: 1}, {service: foobar-v2, weight: 500m}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: ignored}
        """);
    start();
    Route ab = mesh.snapshot().serviceConfig(ServiceName.of("website")).routes().get(0);
    assertThat(ab.matches()).hasSize(1);
    assertThat(weights("foobar")).containsExactly(10, 5);
    assertThat(events.rejected()).isEmpty();
  }

  @Test
  void deletingAFileRemovesWhatItConfigured() throws Exception {
    write("split.yaml", split("canary", "website", 90, 10));
    start();
    Files.delete(dir.resolve("split.yaml"));
    await().atMost(Duration.ofSeconds(5)).until(() -> weights("website").isEmpty());
  }

  @Test
  void aMissingDirectoryIsReportedAndReadOnceItAppears() throws Exception {
    Path missing = dir.resolve("later");
    mesh =
        Mesh.builder()
            .listener(events)
            .source(SmiFileSource.builder(missing).rescanInterval(Duration.ofMillis(100)).build())
            .build();
    assertThat(mesh.awaitReady(Duration.ofSeconds(5))).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> !events.events("sourceFailed").isEmpty());

    Files.createDirectory(missing);
    Files.writeString(missing.resolve("split.yaml"), split("canary", "website", 90, 10));

    await().atMost(Duration.ofSeconds(5)).until(() -> weights("website").equals(List.of(90, 10)));
    assertThat(events.events("sourceRecovered")).hasSize(1);
  }
}
