/**
 * Meshwork core: the in-process mesh engine, independent of any transport.
 *
 * <p>Start with {@link dev.meshwork.Mesh}. Transport adapters ({@code meshwork-okhttp}, {@code
 * meshwork-grpc}) drive a {@link dev.meshwork.MeshCall} per logical request; configuration arrives
 * through {@link dev.meshwork.MeshSource}s and is compiled into an immutable {@link
 * dev.meshwork.MeshSnapshot}.
 *
 * <p>Everything in this package is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.meshwork;

import org.jspecify.annotations.NullMarked;
