package dev.meshwork.consul;

/**
 * {@code /v1/health/service/<name>} bodies in Consul's real shape, for instances on loopback: one
 * node per instance, the service with a {@code version} meta entry and tag, and a Serf check in the
 * state given.
 */
final class HealthJson {

  private HealthJson() {}

  /** The answer listing {@code instances} (each from {@link #instance}). */
  static String of(String... instances) {
    return "[" + String.join(",", instances) + "]";
  }

  /** A passing instance of {@code service}. */
  static String instance(String service, String id, int port, String version) {
    return instance(service, id, port, version, "passing");
  }

  /**
   * @param status {@code passing}, {@code warning} or {@code critical}
   */
  static String instance(String service, String id, int port, String version, String status) {
    return instance(service, id, port, version, status, "dc1");
  }

  /** An instance whose node is in {@code datacenter}. */
  static String instance(
      String service, String id, int port, String version, String status, String datacenter) {
    return "{\"Node\":{\"Node\":\"node-"
        + id
        + "\",\"Address\":\"127.0.0.1\",\"Datacenter\":\""
        + datacenter
        + "\"},"
        + "\"Service\":{\"ID\":\""
        + id
        + "\",\"Service\":\""
        + service
        + "\",\"Tags\":[\""
        + version
        + "\"],\"Address\":\"127.0.0.1\",\"Meta\":{\"version\":\""
        + version
        + "\"},\"Port\":"
        + port
        + ",\"Weights\":{\"Passing\":1,\"Warning\":1}},"
        + "\"Checks\":[{\"Node\":\"node-"
        + id
        + "\",\"CheckID\":\"serfHealth\",\"Name\":\"Serf Health Status\",\"Status\":\""
        + status
        + "\",\"ServiceTags\":[]}]}";
  }
}
