package dev.meshwork;

import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A test on a request path, header or query parameter value, as route matches and access rules use
 * them: exact, prefix, suffix, regular expression, or mere presence, optionally inverted.
 *
 * <p>{@link #regex(String)} uses {@link java.util.regex} and a full match; it is meant for
 * programmatic configuration written by the application itself. Sources that read regexes from
 * outside (SMI, Gateway API, Consul) supply a linear-time engine through {@link #regex(String,
 * Predicate)} so that no request can take super-linear time to match.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * StringMatch canaryHeader = StringMatch.exact("true");
 * StringMatch api = StringMatch.prefix("/api/");
 * }</pre>
 */
public final class StringMatch {

  /** What kind of test this is. */
  public enum Kind {
    EXACT,
    PREFIX,
    SUFFIX,
    REGEX,
    PRESENT
  }

  private final Kind kind;
  private final String value;
  private final @Nullable Predicate<String> regex;
  private final boolean inverted;

  private StringMatch(
      Kind kind, String value, @Nullable Predicate<String> regex, boolean inverted) {
    this.kind = kind;
    this.value = value;
    this.regex = regex;
    this.inverted = inverted;
  }

  public static StringMatch exact(String value) {
    return new StringMatch(Kind.EXACT, Objects.requireNonNull(value, "value"), null, false);
  }

  public static StringMatch prefix(String value) {
    return new StringMatch(Kind.PREFIX, Objects.requireNonNull(value, "value"), null, false);
  }

  public static StringMatch suffix(String value) {
    return new StringMatch(Kind.SUFFIX, Objects.requireNonNull(value, "value"), null, false);
  }

  /** Any value, as long as there is one. */
  public static StringMatch present() {
    return new StringMatch(Kind.PRESENT, "", null, false);
  }

  /**
   * A {@link java.util.regex} full match.
   *
   * @throws IllegalArgumentException naming the pattern if it does not compile
   */
  public static StringMatch regex(String pattern) {
    Pattern compiled;
    try {
      compiled = Pattern.compile(pattern);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "regex: \""
              + pattern
              + "\" (expected a valid regular expression: "
              + e.getDescription()
              + ")",
          e);
    }
    return new StringMatch(Kind.REGEX, pattern, s -> compiled.matcher(s).matches(), false);
  }

  /**
   * A regular expression evaluated by {@code matcher}, an already compiled pattern of the caller's
   * engine and dialect; {@code pattern} is its source text, kept for messages and inspection.
   */
  public static StringMatch regex(String pattern, Predicate<String> matcher) {
    return new StringMatch(
        Kind.REGEX,
        Objects.requireNonNull(pattern, "pattern"),
        Objects.requireNonNull(matcher, "matcher"),
        false);
  }

  /** The opposite test: true where this one is false, including for an absent value. */
  public StringMatch inverted() {
    return new StringMatch(kind, value, regex, !inverted);
  }

  public Kind kind() {
    return kind;
  }

  /** The literal, prefix, suffix or pattern; empty for {@link Kind#PRESENT}. */
  public String value() {
    return value;
  }

  public boolean isInverted() {
    return inverted;
  }

  /** Whether {@code actual} (null when the request has no such value) passes. */
  public boolean matches(@Nullable String actual) {
    return inverted != test(actual);
  }

  private boolean test(@Nullable String actual) {
    if (actual == null) {
      return false;
    }
    switch (kind) {
      case EXACT:
        return actual.equals(value);
      case PREFIX:
        return actual.startsWith(value);
      case SUFFIX:
        return actual.endsWith(value);
      case PRESENT:
        return true;
      case REGEX:
        return Objects.requireNonNull(regex).test(actual);
    }
    throw new AssertionError(kind);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof StringMatch)) {
      return false;
    }
    StringMatch m = (StringMatch) o;
    return kind == m.kind && inverted == m.inverted && value.equals(m.value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, value, inverted);
  }

  @Override
  public String toString() {
    String s = kind == Kind.PRESENT ? "present" : kind.name().toLowerCase() + " \"" + value + "\"";
    return inverted ? "not " + s : s;
  }
}
