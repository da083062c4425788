package dev.meshwork.smi;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.meshwork.StringMatch;

/**
 * Regular expressions from configuration, compiled with RE2/J so that no request can make a match
 * take more than linear time, whatever a resource says. Stateless.
 */
final class Regexes {

  private Regexes() {}

  /** The whole value must match (header values, Gateway API regexes). */
  static StringMatch full(Node node, String pattern) {
    Pattern p = compile(node, pattern);
    return StringMatch.regex(pattern, s -> p.matcher(s).matches());
  }

  /** The match must start at the beginning of the value (SMI {@code pathRegex}). */
  static StringMatch anchoredAtStart(Node node, String pattern) {
    Pattern p = compile(node, pattern);
    return StringMatch.regex("^" + pattern, s -> p.matcher(s).lookingAt());
  }

  /** A regex built by the parser itself from literal parts, quoted with {@link #quote}. */
  static StringMatch fullBuilt(Node node, String pattern) {
    return full(node, pattern);
  }

  static String quote(String literal) {
    return Pattern.quote(literal);
  }

  private static Pattern compile(Node node, String pattern) {
    try {
      return Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw node.error("a valid RE2 regular expression (" + e.getDescription() + ")", e);
    }
  }
}
