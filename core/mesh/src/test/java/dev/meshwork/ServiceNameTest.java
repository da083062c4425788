package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServiceNameTest {

  @Test
  void bareNameLandsInTheDefaultNamespace() {
    assertThat(ServiceName.parse("reviews")).isEqualTo(ServiceName.of("reviews", "default"));
    assertThat(ServiceName.parse("reviews", "prod").toString()).isEqualTo("reviews.prod");
  }

  @Test
  void kubernetesHostFormsAllNameTheSameService() {
    ServiceName expected = ServiceName.of("reviews", "prod");
    assertThat(ServiceName.parse("reviews.prod")).isEqualTo(expected);
    assertThat(ServiceName.parse("reviews.prod.svc")).isEqualTo(expected);
    assertThat(ServiceName.parse("Reviews.PROD.svc.cluster.local")).isEqualTo(expected);
  }

  @Test
  void invalidNamesAreRejectedWithTheValueAndWhatWasExpected() {
    assertThatThrownBy(() -> ServiceName.of("-bad"))
        .hasMessage(
            "service name: \"-bad\" (expected letters, digits, '-' or '_', starting and ending"
                + " with a letter or digit)");
    assertThatThrownBy(() -> ServiceName.parse("a.b.c"))
        .hasMessageContaining("\"a.b.c\" (expected name, name.namespace");
  }
}
