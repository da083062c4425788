package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the static endpoints file format: a mapping from service name to its instances, each either
 * {@code host:port} or a mapping with {@code address}, {@code port} and optional {@code weight},
 * {@code zone}, {@code labels} and {@code identity}. Stateless.
 *
 * <pre>
 * reviews-v1:
 * - 10.0.0.1:8080
 * - "[2001:db8::7]:8080"
 * - address: 10.0.0.2
 *   port: 8080
 *   weight: 2
 *   zone: eu-west-1a
 *   labels: {version: v1}
 * ratings.prod: []          # known, no instances
 * </pre>
 */
final class EndpointsFile {

  private EndpointsFile() {}

  static Map<ServiceName, List<Endpoint>> parse(String origin, String text, String namespace) {
    Map<ServiceName, List<Endpoint>> out = new LinkedHashMap<>();
    for (Node doc : YamlDocuments.parse(origin, text)) {
      for (Map.Entry<String, Node> e : doc.fields().entrySet()) {
        ServiceName service;
        try {
          service = ServiceName.parse(e.getKey(), namespace);
        } catch (IllegalArgumentException ex) {
          throw ConfigException.of(
              origin,
              e.getValue().path(),
              e.getKey(),
              "a service name such as reviews or reviews.prod",
              ex);
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (Node item : e.getValue().items()) {
          endpoints.add(endpoint(item));
        }
        if (out.put(service, List.copyOf(endpoints)) != null) {
          throw ConfigException.of(origin, e.getValue().path(), e.getKey(), "each service once");
        }
      }
    }
    return out;
  }

  private static Endpoint endpoint(Node item) {
    try {
      if (!item.isMap()) {
        return hostPort(item, item.text("host:port, or a mapping with address and port"));
      }
      Endpoint e =
          Endpoint.of(
              item.get("address").text("an IP address or host name"),
              item.get("port").integer(1, 65535, "a port 1..65535"));
      if (!item.get("weight").isMissing()) {
        e = e.withWeight(item.get("weight").integer(1, 1_000_000, "a weight 1..1000000"));
      }
      String zone = item.get("zone").optText("a zone name");
      if (zone != null) {
        e = e.withLabel("zone", zone);
      }
      for (Map.Entry<String, Node> label : item.get("labels").fields().entrySet()) {
        e = e.withLabel(label.getKey(), label.getValue().text("a label value"));
      }
      return e.withIdentity(item.get("identity").optText("a SPIFFE ID"));
    } catch (IllegalArgumentException ex) {
      throw item.error("an endpoint: host:port, or address and port", ex);
    }
  }

  private static Endpoint hostPort(Node item, String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0
        || colon == text.length() - 1
        || (text.indexOf(':') != colon && !text.startsWith("["))) {
      throw item.error("host:port, with IPv6 addresses in brackets");
    }
    try {
      return Endpoint.of(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException ex) {
      throw item.error("host:port with a numeric port", ex);
    }
  }
}
