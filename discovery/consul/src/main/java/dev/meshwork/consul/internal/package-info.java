/**
 * Implementation of {@code meshwork-consul}: the blocking-query watch loop, the HTTP calls, the
 * parsers of Consul's JSON and the compilers into core's model. No compatibility promise; never
 * imported from another module.
 */
@NullMarked
package dev.meshwork.consul.internal;

import org.jspecify.annotations.NullMarked;
