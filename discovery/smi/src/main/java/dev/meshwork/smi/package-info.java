/**
 * Configuration from SMI and Gateway API resources and endpoints from Kubernetes, files or DNS.
 *
 * <p>Everything in this package is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.meshwork.smi;

import org.jspecify.annotations.NullMarked;
