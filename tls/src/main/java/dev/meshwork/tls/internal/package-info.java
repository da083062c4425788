/**
 * Implementation of {@code meshwork-tls}: PEM and DER reading, the reloading key manager, the
 * SPIFFE trust manager, the client-auth-requiring server context and the rotation timers. No
 * compatibility promise; never imported from another module.
 */
@NullMarked
package dev.meshwork.tls.internal;

import org.jspecify.annotations.NullMarked;
