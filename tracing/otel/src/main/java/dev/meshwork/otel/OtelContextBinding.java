package dev.meshwork.otel;

import dev.meshwork.MeshContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * An OpenTelemetry {@link Context} kept in a {@link MeshContext}: whenever the mesh context is made
 * current (around an inbound handler, in a {@link MeshContext#wrap wrapped} task), so is this
 * OpenTelemetry context, so the handler's own spans and its outbound mesh calls are children of the
 * request's server span.
 */
final class OtelContextBinding implements MeshContext.ThreadBinding {

  final Context context;

  OtelContextBinding(Context context) {
    this.context = context;
  }

  @Override
  public MeshContext.Scope bind() {
    Scope scope = context.makeCurrent();
    return scope::close;
  }

  @Override
  public String toString() {
    return "OtelContextBinding{" + context + "}";
  }
}
