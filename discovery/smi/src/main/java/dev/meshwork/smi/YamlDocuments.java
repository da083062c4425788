package dev.meshwork.smi;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.meshwork.ConfigException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Splits YAML text into Kubernetes-style resource documents: several documents separated by {@code
 * ---}, and the items of {@code kind: List} documents (what {@code kubectl get -o yaml} writes),
 * each as a {@link Node} rooted at its own path ({@code items[2]} inside a list). Empty documents
 * are skipped. Duplicate keys are an error rather than last-one-wins. Stateless and thread-safe.
 */
final class YamlDocuments {

  private static final ObjectReader READER =
      new ObjectMapper(YAMLFactory.builder().build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .readerFor(Object.class);

  private YamlDocuments() {}

  /**
   * @param origin how messages name the text, usually the file name
   * @throws ConfigException naming the line if the text is not YAML or a document is no resource
   */
  static List<Node> parse(String origin, String text) {
    List<Node> out = new ArrayList<>();
    try (MappingIterator<Object> it = READER.readValues(text)) {
      int index = 0;
      while (it.hasNextValue()) {
        Object doc = it.nextValue();
        index++;
        if (doc == null) {
          continue;
        }
        Node root = new Node(origin, "", doc);
        if (!(doc instanceof Map)) {
          throw ConfigException.of(
              origin,
              "document " + index,
              root.shown(),
              "a Kubernetes resource: a mapping with apiVersion, kind and metadata");
        }
        expand(root, out);
      }
    } catch (JsonProcessingException e) {
      throw yamlError(origin, e);
    } catch (IOException e) {
      throw ConfigException.of(origin, "", e.toString(), "readable YAML", e);
    } catch (RuntimeException e) {
      if (e instanceof ConfigException) {
        throw e;
      }
      Throwable cause = e.getCause();
      if (cause instanceof JsonProcessingException) {
        throw yamlError(origin, (JsonProcessingException) cause);
      }
      // The YAML library rejects some malformed input with unchecked exceptions of its own.
      throw ConfigException.of(origin, "", String.valueOf(e.getMessage()), "valid YAML", e);
    }
    return out;
  }

  private static void expand(Node doc, List<Node> out) {
    Object kind = ((Map<?, ?>) doc.value()).get("kind");
    boolean list =
        "List".equals(kind) || (kind instanceof String && ((String) kind).endsWith("List"));
    if (list && doc.get("items").isList()) {
      for (Node item : doc.get("items").items()) {
        if (!item.isMap()) {
          throw item.error("a Kubernetes resource: a mapping with apiVersion, kind and metadata");
        }
        out.add(new Node(doc.origin(), item.path(), item.value()));
      }
      return;
    }
    out.add(doc);
  }

  private static ConfigException yamlError(String origin, JsonProcessingException e) {
    JsonLocation at = e.getLocation();
    String where = at == null || at.getLineNr() < 0 ? "" : "line " + at.getLineNr();
    String problem = e.getOriginalMessage();
    int newline = problem.indexOf('\n');
    if (newline > 0) {
      problem = problem.substring(0, newline);
    }
    return ConfigException.of(origin, where, problem, "valid YAML", e);
  }
}
