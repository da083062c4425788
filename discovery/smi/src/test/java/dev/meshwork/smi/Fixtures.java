package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Backend;
import dev.meshwork.MeshConfig;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the fixtures under {@code src/test/resources/smi} and compiles them. */
final class Fixtures {

  private Fixtures() {}

  /** The text of {@code /smi/<path>}. */
  static String read(String path) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/smi/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Resource> parse(String path) {
    return new ResourceParser("default").parseAll(fileName(path), read(path));
  }

  /** Compiles the fixtures together, asserting that nothing was reported. */
  static MeshConfig compile(String... paths) {
    Compiler.Result result = compileReporting(paths);
    assertThat(result.problems()).isEmpty();
    return result.config();
  }

  static Compiler.Result compileReporting(String... paths) {
    ResourceStore store = new ResourceStore();
    for (String path : paths) {
      store.put(fileName(path), parse(path));
    }
    return store.compile();
  }

  /** Each backend's share of the route's traffic, by backend name. */
  static Map<String, Double> shares(Route route) {
    long total = route.backends().stream().mapToLong(Backend::weight).sum();
    Map<String, Double> out = new LinkedHashMap<>();
    for (Backend b : route.backends()) {
      out.put(b.service().name(), (double) b.weight() / total);
    }
    return out;
  }

  static List<Route> routes(MeshConfig config, String service) {
    return config.service(ServiceName.of(service)).routes();
  }

  private static String fileName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
