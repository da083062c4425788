package dev.meshwork;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link AccessPolicy#evaluate}: allowed or not, why (for the 403 / {@code
 * PERMISSION_DENIED} description and the listener), and the rule that decided, if any.
 */
public final class AccessDecision {

  private final boolean allowed;
  private final String reason;
  private final @Nullable AccessRule rule;

  AccessDecision(boolean allowed, String reason, @Nullable AccessRule rule) {
    this.allowed = allowed;
    this.reason = reason;
    this.rule = rule;
  }

  public boolean allowed() {
    return allowed;
  }

  /** A sentence naming the rule's origin, or why no rule applied. */
  public String reason() {
    return reason;
  }

  /** The deciding rule, or null when the default or the absence of a match decided. */
  public @Nullable AccessRule rule() {
    return rule;
  }

  @Override
  public String toString() {
    return (allowed ? "allow: " : "deny: ") + reason;
  }
}
