package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Kubernetes quantities, weight normalisation and the static endpoints file. */
class ValuesTest {

  @ParameterizedTest
  @CsvSource({
    "1,1",
    "500m,0.5",
    "1500m,1.5",
    "10m,0.01",
    "2k,2000",
    "1Ki,1024",
    "1e3,1000",
    "0.5,0.5",
    "+3,3",
    "-1,-1",
    "5n,0.000000005"
  })
  void quantitiesAreReadAsKubernetesDoes(String text, String value) {
    assertThat(Quantity.parse(text)).isEqualByComparingTo(new BigDecimal(value));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "m", "ten", "1x", "1.2.3", "1e", "1e1000", "--1"})
  void nonQuantitiesAreRefused(String text) {
    assertThat(Quantity.parse(text)).isNull();
  }

  @Test
  void weightsKeepTheirRatiosAsIntegers() {
    assertThat(Weights.normalize(List.of(new BigDecimal("1"), new BigDecimal("0.5"))))
        .containsExactly(10, 5);
    assertThat(
            Weights.normalize(
                List.of(new BigDecimal("0.010"), new BigDecimal("0.1"), new BigDecimal("1.5"))))
        .containsExactly(1, 10, 150);
    // Too big or too fine to keep exactly: scaled to a million, positive weights stay positive.
    assertThat(
            Weights.normalize(
                List.of(new BigDecimal("5e12"), new BigDecimal("1"), BigDecimal.ZERO)))
        .containsExactly(1_000_000, 1, 0);
    assertThat(Weights.normalize(List.of(new BigDecimal("1e-12"), new BigDecimal("3e-12"))))
        .containsExactly(250_000, 750_000);
  }

  @Test
  void theEndpointsFileReadsShortAndLongForms() {
    Map<ServiceName, List<Endpoint>> e =
        EndpointsFile.parse(
            "endpoints.yaml",
            """
            reviews-v1:
            - 10.0.0.1:8080
            - "[2001:db8::7]:8080"
            - address: 10.0.0.2
              port: 8081
              weight: 3
              zone: eu-west-1a
              labels: {version: v1}
              identity: spiffe://cluster.local/ns/default/sa/reviews
            ratings.prod: []
            """,
            "default");
    assertThat(e.get(ServiceName.of("reviews-v1")))
        .containsExactly(
            Endpoint.of("10.0.0.1", 8080),
            Endpoint.of("2001:db8::7", 8080),
            Endpoint.of("10.0.0.2", 8081)
                .withWeight(3)
                .withLabel("zone", "eu-west-1a")
                .withLabel("version", "v1")
                .withIdentity("spiffe://cluster.local/ns/default/sa/reviews"));
    assertThat(e.get(ServiceName.of("ratings", "prod"))).isEmpty();
  }

  @Test
  void aBadEndpointNamesTheFileAndEntry() {
    assertThatThrownBy(
            () -> EndpointsFile.parse("endpoints.yaml", "web: [\"10.0.0.1\"]\n", "default"))
        .hasMessage(
            "endpoints.yaml: web[0]: \"10.0.0.1\" (expected host:port, with IPv6 addresses in brackets)");
    assertThatThrownBy(
            () ->
                EndpointsFile.parse("endpoints.yaml", "web: [{address: a, port: 0}]\n", "default"))
        .hasMessage("endpoints.yaml: web[0].port: 0 (expected a port 1..65535)");
  }
}
