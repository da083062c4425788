/**
 * Meshwork for Micrometer: {@link dev.meshwork.micrometer.MeshMetrics} turns the mesh's listener
 * events into golden metrics with Linkerd-compatible names, meters for the mesh's internals, and an
 * SMI {@link dev.meshwork.micrometer.TrafficMetrics} view.
 */
@NullMarked
package dev.meshwork.micrometer;

import org.jspecify.annotations.NullMarked;
