package dev.meshwork.micrometer;

/**
 * Every meter name and tag key {@link MeshMetrics} uses, in one place. Micrometer names here are
 * what a registry sees; the Prometheus series they export to are listed in the module's README
 * (Micrometer's Prometheus naming appends {@code _total} to counters and turns dots into
 * underscores). The golden metrics carry Linkerd's names so Flagger's Linkerd queries and Linkerd
 * dashboards read them unchanged.
 */
final class MetricNames {

  // ---- golden metrics (Linkerd names) ------------------------------------------------------

  /** Counter; Prometheus {@code request_total}. One per attempt outbound, per request inbound. */
  static final String REQUEST = "request";

  /** Counter; Prometheus {@code response_total}. */
  static final String RESPONSE = "response";

  /**
   * Distribution summary in ms with Linkerd's buckets; Prometheus {@code response_latency_ms_*}.
   */
  static final String RESPONSE_LATENCY = "response_latency_ms";

  /** Counter per logical outbound call; Prometheus {@code route_request_total}. */
  static final String ROUTE_REQUEST = "route_request";

  /** Counter per logical outbound call; Prometheus {@code route_response_total}. */
  static final String ROUTE_RESPONSE = "route_response";

  /** Per logical outbound call, ms; Prometheus {@code route_response_latency_ms_*}. */
  static final String ROUTE_RESPONSE_LATENCY = "route_response_latency_ms";

  /** Linkerd's {@code response_latency_ms} bucket bounds, in milliseconds (+Inf is implied). */
  static final double[] LATENCY_BUCKETS_MS = {
    1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000,
    20000, 30000, 40000, 50000
  };

  // ---- golden tag keys ---------------------------------------------------------------------

  static final String DIRECTION = "direction";
  static final String NAMESPACE = "namespace";
  static final String DEPLOYMENT = "deployment";
  static final String AUTHORITY = "authority";
  static final String DST_NAMESPACE = "dst_namespace";
  static final String DST_SERVICE = "dst_service";
  static final String BACKEND = "backend";
  static final String ROUTE = "route";
  static final String TARGET_ADDR = "target_addr";
  static final String CLASSIFICATION = "classification";
  static final String STATUS_CODE = "status_code";
  static final String GRPC_STATUS = "grpc_status";
  static final String ERROR = "error";

  static final String INBOUND = "inbound";
  static final String OUTBOUND = "outbound";
  static final String SUCCESS = "success";
  static final String FAILURE = "failure";

  // ---- mesh internals ----------------------------------------------------------------------

  static final String RETRIES = "meshwork.retries";
  static final String RETRIES_DENIED = "meshwork.retries.denied";
  static final String BACKUPS = "meshwork.backups";
  static final String RETRY_BUDGET_BALANCE = "meshwork.retry.budget.balance";
  static final String CALL_FAILURES = "meshwork.call.failures";
  static final String FAILED_OPEN = "meshwork.failed.open";
  static final String GATE_TRANSITIONS = "meshwork.gate.transitions";
  static final String ENDPOINTS = "meshwork.endpoints";
  static final String SNAPSHOT_GENERATION = "meshwork.snapshot.generation";
  static final String CONFIG_REJECTIONS = "meshwork.config.rejections";
  static final String SOURCE_FAILURES = "meshwork.source.failures";
  static final String SOURCE_UP = "meshwork.source.up";
  static final String BACKEND_UNAVAILABLE = "meshwork.backend.unavailable";
  static final String ACCESS_DENIED = "meshwork.access.denied";
  static final String IDENTITY_UPDATES = "meshwork.identity.updates";
  static final String IDENTITY_EXPIRING = "meshwork.identity.expiring";
  static final String IDENTITY_EXPIRATION = "meshwork.identity.cert.expiration.timestamp.seconds";

  static final String SERVICE = "service";
  static final String STATE = "state";
  static final String FROM = "from";
  static final String TO = "to";
  static final String REASON = "reason";
  static final String SOURCE = "source";
  static final String PROTOCOL = "protocol";

  private MetricNames() {}
}
