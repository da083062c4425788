/**
 * Meshwork for servlet containers: {@link dev.meshwork.servlet.MeshServletFilter} makes each
 * inbound request's deadline and caller identity the current {@link dev.meshwork.MeshContext}, so
 * the mesh calls a handler makes inherit them, and reports inbound calls to the mesh's listeners.
 *
 * <p>Everything in this package is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.meshwork.servlet;

import org.jspecify.annotations.NullMarked;
