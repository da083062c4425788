/** Runnable demos of Meshwork. */
@NullMarked
package dev.meshwork.examples;

import org.jspecify.annotations.NullMarked;
