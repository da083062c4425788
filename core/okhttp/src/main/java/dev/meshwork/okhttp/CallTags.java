package dev.meshwork.okhttp;

import kotlin.jvm.JvmClassMappingKt;
import kotlin.reflect.KClass;

/**
 * The keys of the call tags the mesh keeps, made once. OkHttp stores tags by {@link KClass}; its
 * {@code Class}-based tag methods convert on every use, allocating, and tags are read on every
 * routed call.
 */
final class CallTags {

  /** Marks a clone of the application's call as one attempt of a hedged call. */
  static final KClass<HedgedExchange.AttemptTag> ATTEMPT =
      JvmClassMappingKt.getKotlinClass(HedgedExchange.AttemptTag.class);

  /** What the mesh remembers of a call's routed exchanges. */
  static final KClass<CallConnections> CONNECTIONS =
      JvmClassMappingKt.getKotlinClass(CallConnections.class);

  private CallTags() {}
}
