package dev.meshwork.consul.internal;

/**
 * The labels a Consul instance's endpoint carries, so subsets can select it: each {@code
 * Service.Meta} entry under its own key ({@code version=v2}: Consul meta keys are letters, digits,
 * {@code _} and {@code -}, so they cannot collide with the prefixed ones), each tag as {@code
 * tag:<tag>=true}, node meta as {@code consul.node-meta.<key>}, and where the instance runs.
 */
public final class EndpointLabels {

  public static final String TAG_PREFIX = "tag:";
  public static final String NODE_META_PREFIX = "consul.node-meta.";
  public static final String SERVICE = "consul.service";
  public static final String SERVICE_ID = "consul.service-id";
  public static final String NODE = "consul.node";
  public static final String DATACENTER = "consul.datacenter";
  public static final String NAMESPACE = "consul.namespace";
  public static final String PARTITION = "consul.partition";

  /** {@code passing} or {@code warning}; critical instances are not endpoints at all. */
  public static final String HEALTH = "consul.health";

  private EndpointLabels() {}

  /** Whether {@code label} is a {@code Service.Meta} key rather than one of ours. */
  static boolean isMetaKey(String label) {
    return label.indexOf(':') < 0 && label.indexOf('.') < 0;
  }
}
