/**
 * Meshwork for OkHttp: {@link dev.meshwork.okhttp.MeshOkHttp#install} makes an {@code OkHttpClient}
 * route {@code http://<service>/…} requests through a {@link dev.meshwork.Mesh}.
 */
@NullMarked
package dev.meshwork.okhttp;

import org.jspecify.annotations.NullMarked;
