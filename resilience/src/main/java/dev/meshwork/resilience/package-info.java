/**
 * Resilience for a {@link dev.meshwork.Mesh}: per-endpoint gates below the balancer ({@link
 * dev.meshwork.resilience.EndpointGates}: consecutive-failure and success-rate circuit breakers,
 * outlier ejection across a backend, slow start), hedged requests ({@link
 * dev.meshwork.resilience.Hedging}), per-destination concurrency limits ({@link
 * dev.meshwork.resilience.ConcurrencyLimits}) and the attempt counter that keeps meshes from
 * multiplying each other's retries ({@link dev.meshwork.resilience.AttemptCounter}). Each plugs
 * into one method of {@link dev.meshwork.Mesh.Builder}.
 */
@NullMarked
package dev.meshwork.resilience;

import org.jspecify.annotations.NullMarked;
