/**
 * Consul as a Meshwork source: {@link dev.meshwork.consul.ConsulSource} watches health and L7
 * config entries with blocking queries, {@link dev.meshwork.consul.ConsulIdentitySource} delivers
 * Connect certificates, and {@link dev.meshwork.consul.ConsulAuthorizer} answers Consul's authorize
 * question in-process.
 *
 * <p>Everything in this package is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.meshwork.consul;

import org.jspecify.annotations.NullMarked;
