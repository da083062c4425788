package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.meshwork.ConfigException;
import dev.meshwork.Mesh;
import dev.meshwork.MeshSnapshot;
import dev.meshwork.testing.RecordingListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1 000 randomly mutated fixture documents (seeded, so every run sees the same ones): parsing
 * throws nothing but {@link ConfigException}, and a rejected document leaves the mesh's active
 * snapshot untouched.
 */
class MutatedDocumentsFuzzTest {

  private static final long SEED = 4_2026_1128L;
  private static final int DOCUMENTS = 1000;
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Fixtures that configure distinct resources, so together they are one valid configuration. */
  private static final List<String> CORPUS =
      List.of(
          "spec/trafficsplit-v1alpha1-my-weights.yaml",
          "spec/trafficsplit-v1alpha2-foobar-rollout.yaml",
          "spec/trafficsplit-v1alpha4-ab-test.yaml",
          "spec/trafficsplit-v1alpha4-canary.yaml",
          "spec/httproutegroup-v1alpha2-headers.yaml",
          "spec/tcproute-v1alpha4.yaml",
          "spec/udproute-v1alpha4.yaml",
          "spec/identitybinding-v1alpha4.yaml",
          "spec/traffictarget-v1alpha3-l7.yaml",
          "spec/traffictarget-v1alpha3-l4.yaml",
          "authored/httproute-reviews.yaml",
          "authored/grpcroute-ratings.yaml",
          "authored/httproutegroup-list-headers.yaml");

  private static final List<Object> ODD_VALUES =
      List.of(
          -5,
          -1.5,
          "-5",
          "abc",
          " ",
          "500m",
          "1e400",
          "1e-400",
          ".nan",
          Double.NaN,
          Double.POSITIVE_INFINITY,
          Long.MAX_VALUE,
          Integer.MIN_VALUE,
          0,
          true,
          List.of(),
          Map.of(),
          List.of(1, "x", List.of()),
          Map.of("a", Map.of("b", List.of())),
          "((",
          "[a-",
          "*",
          "GET",
          "FOO",
          "Service",
          "Gateway",
          "99999999999999999999999",
          1.0e10,
          "a/b/c",
          "v9",
          "split.smi-spec.io/v1alpha9",
          "TrafficSplit",
          "HTTPRoute",
          "spiffe://",
          "0s",
          "9h9h9h9h9h",
          "RegularExpression",
          "Exact",
          "PathPrefix",
          "/",
          "x:y",
          "");

  @TempDir Path dir;

  @Test
  void mutatedDocumentsThrowOnlyConfigExceptionsAndRejectedOnesNeverChangeTheActiveConfig()
      throws Exception {
    Random random = new Random(SEED);
    RecordingListener events = new RecordingListener();
    SmiFileSource source = SmiFileSource.builder(dir).build();
    try (Mesh mesh = Mesh.builder().listener(events).source(source).build()) {
      assertThat(mesh.awaitReady(Duration.ofSeconds(5))).isTrue();
      Map<Path, byte[]> baseline = new LinkedHashMap<>();
      for (String f : CORPUS) {
        baseline.put(dir.resolve(name(f)), Fixtures.read(f).getBytes(StandardCharsets.UTF_8));
      }
      source.apply(baseline, Set.of());
      assertThat(events.rejected()).isEmpty();
      ResourceParser parser = new ResourceParser("default");
      int rejected = 0;
      for (int i = 0; i < DOCUMENTS; i++) {
        String file = CORPUS.get(random.nextInt(CORPUS.size()));
        String mutated = mutate(Fixtures.read(file), random);
        boolean valid;
        try {
          parser.parseAll(name(file), mutated);
          valid = true;
        } catch (ConfigException e) {
          valid = false;
        } catch (Throwable t) {
          throw new AssertionError("document " + i + " of seed " + SEED + ":\n" + mutated, t);
        }
        MeshSnapshot before = mesh.snapshot();
        int reportsBefore = events.rejected().size();
        Path path = dir.resolve(name(file));
        source.apply(Map.of(path, mutated.getBytes(StandardCharsets.UTF_8)), Set.of());
        if (!valid) {
          rejected++;
          assertThat(mesh.snapshot()).as("document %d:\n%s", i, mutated).isSameAs(before);
          assertThat(events.rejected()).hasSizeGreaterThan(reportsBefore);
        } else {
          source.apply(Map.of(path, baseline.get(path)), Set.of());
        }
      }
      // Most random mutations should be rejected; some (a new weight, a dropped header) are valid.
      assertThat(rejected).isBetween(DOCUMENTS / 3, DOCUMENTS - 1);
    }
  }

  private static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** One random mutation: of the text (YAML-level) or of one node of the parsed tree. */
  static String mutate(String text, Random random) {
    switch (random.nextInt(4)) {
      case 0:
        return mutateText(text, random);
      default:
        try {
          return mutateTree(text, random);
        } catch (Exception e) {
          return mutateText(text, random);
        }
    }
  }

  private static String mutateText(String text, Random random) {
    int at = random.nextInt(text.length());
    switch (random.nextInt(4)) {
      case 0:
        return text.substring(0, at);
      case 1:
        int end = Math.min(text.length(), at + 1 + random.nextInt(20));
        return text.substring(0, at) + text.substring(end);
      case 2:
        String junk =
            List.of(":", "- ", "[", "{", "\"", "\t", "---\n", "&a ", "*a", "!!binary ", "\n  x")
                .get(random.nextInt(11));
        return text.substring(0, at) + junk + text.substring(at);
      default:
        String[] lines = text.split("\n", -1);
        int line = random.nextInt(lines.length);
        List<String> copy = new ArrayList<>(List.of(lines));
        copy.add(line, lines[line]);
        return String.join("\n", copy);
    }
  }

  @SuppressWarnings("unchecked")
  private static String mutateTree(String text, Random random) throws Exception {
    List<Object> docs = new ArrayList<>();
    try (MappingIterator<Object> it = YAML.readerFor(Object.class).readValues(text)) {
      while (it.hasNextValue()) {
        docs.add(it.nextValue());
      }
    }
    List<Object[]> slots = new ArrayList<>();
    for (Object d : docs) {
      collect(d, slots);
    }
    Object[] slot = slots.get(random.nextInt(slots.size()));
    Object replacement = ODD_VALUES.get(random.nextInt(ODD_VALUES.size()));
    if (slot[0] instanceof Map) {
      Map<String, Object> map = (Map<String, Object>) slot[0];
      switch (random.nextInt(3)) {
        case 0 -> map.remove(slot[1]);
        case 1 -> map.put(slot[1] + "x", map.remove(slot[1]));
        default -> map.put((String) slot[1], replacement);
      }
    } else {
      List<Object> list = (List<Object>) slot[0];
      int index = (Integer) slot[1];
      switch (random.nextInt(3)) {
        case 0 -> list.remove(index);
        case 1 -> list.add(index, list.get(index));
        default -> list.set(index, replacement);
      }
    }
    StringBuilder out = new StringBuilder();
    for (Object d : docs) {
      out.append(YAML.writeValueAsString(d));
    }
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  private static void collect(Object node, List<Object[]> slots) {
    if (node instanceof Map<?, ?> m) {
      Map<String, Object> copy = (Map<String, Object>) m;
      for (String key : new ArrayList<>(copy.keySet())) {
        slots.add(new Object[] {copy, key});
        collect(copy.get(key), slots);
      }
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        slots.add(new Object[] {l, i});
        collect(l.get(i), slots);
      }
    }
  }

  @Test
  void theMutatorIsDeterministicForASeed() {
    String text = Fixtures.read("spec/trafficsplit-v1alpha4-canary.yaml");
    assertThat(mutate(text, new Random(1))).isEqualTo(mutate(text, new Random(1)));
  }
}
