package dev.meshwork.consul.internal;

import dev.meshwork.HeaderModifier;
import java.util.List;
import java.util.Map;

/**
 * Consul's {@code RequestHeaders} / {@code ResponseHeaders}: {@code Add}, {@code Set}, {@code
 * Remove}.
 */
public record HeaderMods(Map<String, String> add, Map<String, String> set, List<String> remove) {

  public static final HeaderMods NONE = new HeaderMods(Map.of(), Map.of(), List.of());

  static HeaderMods parse(Json json) {
    if (json.isAbsent()) {
      return NONE;
    }
    json.requireObject();
    HeaderMods m =
        new HeaderMods(
            Map.copyOf(json.stringMap("Add")),
            Map.copyOf(json.stringMap("Set")),
            List.copyOf(json.strings("Remove")));
    return m.isEmpty() ? NONE : m;
  }

  public boolean isEmpty() {
    return add.isEmpty() && set.isEmpty() && remove.isEmpty();
  }

  /** Core's modifier; Consul applies remove, set, add in the same order as core. */
  HeaderModifier toModifier(Json at) {
    HeaderModifier.Builder b = HeaderModifier.builder();
    try {
      remove.forEach(b::remove);
      set.forEach(b::set);
      add.forEach(b::add);
    } catch (IllegalArgumentException e) {
      throw at.error("valid header names: " + e.getMessage());
    }
    return b.build();
  }
}
