package dev.meshwork.consul.internal;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A service-resolver subset {@code Filter} (Consul's go-bexpr language) compiled into a test on the
 * labels {@link HealthEndpoints} gives each endpoint. Supported: {@code ==}, {@code !=}, {@code
 * matches}, {@code not matches}, {@code in}, {@code not in}, {@code contains}, {@code not
 * contains}, {@code is empty}, {@code is not empty}, {@code and}, {@code or}, {@code not} and
 * parentheses, over {@code Service.Meta.<key>}, {@code Service.Meta}, {@code Service.Tags}, {@code
 * Service.ID}, {@code Service.Service}, {@code Service.Port}, {@code Node.Node}, {@code
 * Node.Datacenter} and {@code Node.Meta.<key>}. Anything else is a {@link ConfigException} naming
 * the expression. Immutable; the predicate is thread-safe.
 */
public final class FilterExpression {

  private final String text;
  private final Predicate<Endpoint> predicate;

  private FilterExpression(String text, Predicate<Endpoint> predicate) {
    this.text = text;
    this.predicate = predicate;
  }

  /**
   * @param at where the expression was written, for errors
   */
  public static FilterExpression parse(String text, Json at) {
    if (text.isBlank()) {
      return new FilterExpression("", e -> true);
    }
    try {
      Parser p = new Parser(FilterTokens.tokenize(text));
      Predicate<Endpoint> predicate = p.or();
      if (!p.atEnd()) {
        throw new IllegalArgumentException("unexpected \"" + p.peek() + "\"");
      }
      return new FilterExpression(text, predicate);
    } catch (IllegalArgumentException | PatternSyntaxException e) {
      throw ConfigException.of(
          at.origin(),
          at.path(),
          text,
          "a filter meshwork can evaluate ("
              + e.getMessage()
              + "): ==, !=, matches, in, contains, is empty, and/or/not over Service.Meta.<key>,"
              + " Service.Tags, Service.ID, Service.Service, Service.Port, Node.Node,"
              + " Node.Datacenter, Node.Meta.<key>",
          e);
    }
  }

  public String text() {
    return text;
  }

  public boolean test(Endpoint endpoint) {
    return predicate.test(endpoint);
  }

  public Predicate<Endpoint> predicate() {
    return predicate;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FilterExpression && ((FilterExpression) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }

  /** Recursive descent over the tokens; each rule returns the compiled predicate. */
  private static final class Parser {
    private final List<String> tokens;
    private int pos;

    Parser(List<String> tokens) {
      this.tokens = tokens;
    }

    boolean atEnd() {
      return pos >= tokens.size();
    }

    String peek() {
      return atEnd() ? "" : tokens.get(pos);
    }

    private boolean accept(String keyword) {
      if (!atEnd() && tokens.get(pos).equals(keyword)) {
        pos++;
        return true;
      }
      return false;
    }

    private String next(String what) {
      if (atEnd()) {
        throw new IllegalArgumentException("expected " + what + " at the end");
      }
      return tokens.get(pos++);
    }

    Predicate<Endpoint> or() {
      Predicate<Endpoint> left = and();
      while (accept("or")) {
        left = left.or(and());
      }
      return left;
    }

    private Predicate<Endpoint> and() {
      Predicate<Endpoint> left = unary();
      while (accept("and")) {
        left = left.and(unary());
      }
      return left;
    }

    private Predicate<Endpoint> unary() {
      if (accept("not")) {
        return unary().negate();
      }
      if (accept("(")) {
        Predicate<Endpoint> inner = or();
        if (!accept(")")) {
          throw new IllegalArgumentException("expected \")\"");
        }
        return inner;
      }
      return match();
    }

    private Predicate<Endpoint> match() {
      String first = FilterTokens.unquote(next("a selector or value"));
      if (accept("in")) {
        return Selector.parse(next("a selector")).contains(first);
      }
      if (accept("not")) {
        if (accept("in")) {
          return Selector.parse(next("a selector")).contains(first).negate();
        }
        Selector s = Selector.parse(first);
        if (accept("contains")) {
          return s.contains(FilterTokens.unquote(next("a value"))).negate();
        }
        if (accept("matches")) {
          return s.matches(regex(next("a regex"))).negate();
        }
        throw new IllegalArgumentException("expected in, contains or matches after not");
      }
      Selector s = Selector.parse(first);
      if (accept("==")) {
        return s.equalTo(FilterTokens.unquote(next("a value")));
      }
      if (accept("!=")) {
        return s.equalTo(FilterTokens.unquote(next("a value"))).negate();
      }
      if (accept("contains")) {
        return s.contains(FilterTokens.unquote(next("a value")));
      }
      if (accept("matches")) {
        return s.matches(regex(next("a regex")));
      }
      if (accept("is")) {
        boolean negate = accept("not");
        if (!accept("empty")) {
          throw new IllegalArgumentException("expected empty after is");
        }
        return negate ? s.empty().negate() : s.empty();
      }
      throw new IllegalArgumentException(
          "expected an operator after " + first + ", found \"" + peek() + "\"");
    }

    private static Pattern regex(String token) {
      return Pattern.compile(FilterTokens.unquote(token));
    }
  }

  /** Splits a filter into tokens: words, quoted strings (kept quoted), {@code ==}, {@code !=}. */
  static final class FilterTokens {
    private FilterTokens() {}

    static List<String> tokenize(String text) {
      List<String> out = new ArrayList<>();
      int i = 0;
      while (i < text.length()) {
        char c = text.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (c == '(' || c == ')') {
          out.add(String.valueOf(c));
          i++;
        } else if ((c == '=' || c == '!') && i + 1 < text.length() && text.charAt(i + 1) == '=') {
          out.add(c + "=");
          i += 2;
        } else if (c == '"' || c == '`') {
          int end = i + 1;
          while (end < text.length() && text.charAt(end) != c) {
            end += c == '"' && text.charAt(end) == '\\' ? 2 : 1;
          }
          if (end >= text.length()) {
            throw new IllegalArgumentException("unterminated string");
          }
          out.add(text.substring(i, end + 1));
          i = end + 1;
        } else {
          int end = i;
          while (end < text.length() && isWordChar(text.charAt(end))) {
            end++;
          }
          if (end == i) {
            throw new IllegalArgumentException("unexpected \"" + c + "\"");
          }
          out.add(text.substring(i, end));
          i = end;
        }
      }
      return out;
    }

    private static boolean isWordChar(char c) {
      return Character.isLetterOrDigit(c)
          || c == '_'
          || c == '-'
          || c == '.'
          || c == '/'
          || c == ':';
    }

    static String unquote(String token) {
      if (token.length() >= 2 && (token.charAt(0) == '"' || token.charAt(0) == '`')) {
        String body = token.substring(1, token.length() - 1);
        return token.charAt(0) == '"' ? body.replace("\\\"", "\"").replace("\\\\", "\\") : body;
      }
      return token;
    }
  }
}
