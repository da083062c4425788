/**
 * mTLS with workload identity for Meshwork: {@link dev.meshwork.tls.MeshTls} secures a mesh's
 * connections with SPIFFE X.509 identities from an {@link dev.meshwork.IdentitySource}, such as
 * {@link dev.meshwork.tls.FileIdentitySource}.
 */
@NullMarked
package dev.meshwork.tls;

import org.jspecify.annotations.NullMarked;
