/**
 * Meshwork for OpenTelemetry: {@link dev.meshwork.otel.MeshTracing} makes a span per call and per
 * attempt, server spans for inbound requests, and carries W3C trace context on every attempt.
 */
@NullMarked
package dev.meshwork.otel;

import org.jspecify.annotations.NullMarked;
