package dev.meshwork.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Keeps the README's quick start true: it routes a real request to one of the two versions. */
class QuickStartTest {

  @Test
  void theQuickStartRoutesARequestToOneOfTheVersions() throws Exception {
    try (DemoBackend v1 = new DemoBackend("reviews-v1", 0, 0);
        DemoBackend v2 = new DemoBackend("reviews-v2", 0, 0)) {
      assertThat(QuickStart.call(v1.endpoint(), v2.endpoint())).isIn("reviews-v1", "reviews-v2");
    }
  }
}
