/**
 * Meshwork for grpc-java: channels to {@code mesh:///<service>[.<namespace>]} route, split, balance
 * (per RPC) and retry (within the service's shared retry budget) through a {@link
 * dev.meshwork.Mesh}; servers make the caller's deadline and identity the current {@link
 * dev.meshwork.MeshContext}.
 *
 * <p>Start with {@link dev.meshwork.grpc.MeshGrpc#install} on a channel builder and {@link
 * dev.meshwork.grpc.MeshServerInterceptor} on a server.
 *
 * <p>Everything in this package is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.meshwork.grpc;

import org.jspecify.annotations.NullMarked;
