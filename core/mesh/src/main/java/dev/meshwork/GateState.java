package dev.meshwork;

/**
 * What an {@link EndpointGate} currently does with traffic to its endpoint, as reported to {@link
 * MeshListener#gateStateChanged}: circuit breakers go ADMITTING → REJECTING (open) → PROBING
 * (half-open) → ADMITTING; outlier ejection goes ADMITTING → REJECTING → ADMITTING.
 */
public enum GateState {
  /** Traffic flows normally. */
  ADMITTING,
  /** A few requests are let through to learn whether the endpoint recovered. */
  PROBING,
  /** The endpoint gets no traffic (unless every endpoint rejects and the mesh fails open). */
  REJECTING
}
