package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.testing.InMemorySource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What adapters keep per endpoint through {@link Attempt#attachToEndpoint}. */
class EndpointAttachmentTest {

  private static final MeshContext.Key<String> CONNECTOR = MeshContext.Key.named("connector");
  private static final MeshContext.Key<String> OTHER = MeshContext.Key.named("other");

  private final InMemorySource source = new InMemorySource();
  private final Mesh mesh = Mesh.builder().source(source).build();

  @AfterEach
  void close() {
    mesh.close();
  }

  private Attempt attempt() {
    MeshCall call = mesh.newCall("reviews", TestRequest.get("/"));
    Attempt a = call.startAttempt();
    call.completeHttp(a, 200);
    return a;
  }

  @Test
  void aValueKeptWithAnEndpointIsSeenByLaterAttemptsAndSurvivesNewSnapshots() {
    Endpoint e = Endpoint.of("10.0.0.1", 8080);
    source.endpoints("reviews", e);

    Attempt first = attempt();
    assertThat(first.endpointAttachment(CONNECTOR)).isNull();
    assertThat(first.attachToEndpoint(CONNECTOR, "c1")).isEqualTo("c1");
    // A second value under the same key loses to the first: the one kept is returned.
    assertThat(first.attachToEndpoint(CONNECTOR, "c2")).isEqualTo("c1");
    first.attachToEndpoint(OTHER, "o1");

    // The endpoint changes attributes (a new snapshot) but stays: its attachments stay too.
    source.endpoints("reviews", e.withIdentity("spiffe://cluster.local/ns/default/sa/reviews"));
    Attempt later = attempt();
    assertThat(later.endpointAttachment(CONNECTOR)).isEqualTo("c1");
    assertThat(later.endpointAttachment(OTHER)).isEqualTo("o1");
  }

  @Test
  void anEndpointThatLeftAndCameBackStartsWithoutAttachments() {
    Endpoint e = Endpoint.of("10.0.0.1", 8080);
    source.endpoints("reviews", e);
    attempt().attachToEndpoint(CONNECTOR, "c1");

    source.endpoints("reviews", Endpoint.of("10.0.0.2", 8080));
    Attempt other = attempt();
    assertThat(other.endpointAttachment(CONNECTOR)).isNull();

    source.endpoints("reviews", e);
    assertThat(attempt().endpointAttachment(CONNECTOR)).isNull();
  }
}
