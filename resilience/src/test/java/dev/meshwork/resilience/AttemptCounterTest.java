package dev.meshwork.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.MeshContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AttemptCounterTest {

  private final AttemptCounter counter = AttemptCounter.propagator();

  @Test
  void theUpstreamAttemptNumberIsReadIntoTheContext() {
    MeshContext c = counter.extract(MeshContext.root(), Map.of("meshwork-attempt", "3")::get);

    assertThat(c.get(MeshContext.UPSTREAM_ATTEMPT)).isEqualTo(3);
  }

  @Test
  void aMissingOrMalformedHeaderLeavesTheContextAsItWas() {
    MeshContext root = MeshContext.root();

    assertThat(counter.extract(root, name -> null)).isSameAs(root);
    assertThat(counter.extract(root, Map.of("meshwork-attempt", "x")::get)).isSameAs(root);
    assertThat(counter.extract(root, Map.of("meshwork-attempt", "0")::get)).isSameAs(root);
  }
}
