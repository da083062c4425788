/**
 * Test doubles for code that uses Meshwork: a {@link dev.meshwork.testing.FakeTicker} whose time
 * moves only when told (with a scheduler on the same time), a seeded {@link
 * dev.meshwork.testing.SeededRandom}, an {@link dev.meshwork.testing.InMemorySource} a test can
 * change at will, and a {@link dev.meshwork.testing.RecordingListener}.
 */
@NullMarked
package dev.meshwork.testing;

import org.jspecify.annotations.NullMarked;
