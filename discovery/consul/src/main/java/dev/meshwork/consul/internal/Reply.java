package dev.meshwork.consul.internal;

import org.jspecify.annotations.Nullable;

/**
 * One answer from Consul to a (blocking) query: the HTTP status, the {@code X-Consul-Index} (0 when
 * the header was missing or unreadable), the default ACL policy header if present, and the body in
 * whatever form the fetcher produced.
 */
public record Reply<R>(int status, long index, @Nullable String defaultAclPolicy, R body) {}
