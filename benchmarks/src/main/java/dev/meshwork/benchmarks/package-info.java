/** Benchmarks: Meshwork against the raw client, in the same run. See benchmarks/README.md. */
@NullMarked
package dev.meshwork.benchmarks;

import org.jspecify.annotations.NullMarked;
