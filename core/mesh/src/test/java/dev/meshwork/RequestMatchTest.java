package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class RequestMatchTest {

  record Req(String method, String path, Map<String, String> headers, Map<String, String> query)
      implements MeshRequest {
    @Override
    public @Nullable String header(String lowerCaseName) {
      return headers.get(lowerCaseName);
    }

    @Override
    public @Nullable String queryParameter(String name) {
      return query.get(name);
    }
  }

  static Req get(String path, Map<String, String> headers) {
    return new Req("GET", path, headers, Map.of());
  }

  @Test
  void everyTestMustPass() {
    RequestMatch m =
        RequestMatch.builder()
            .path(StringMatch.prefix("/api/"))
            .methods("get", "HEAD")
            .header("X-Canary", StringMatch.exact("1"))
            .build();
    assertThat(m.matches(get("/api/books", Map.of("x-canary", "1")))).isTrue();
    assertThat(m.matches(get("/api/books", Map.of("x-canary", "0")))).isFalse();
    assertThat(m.matches(get("/web", Map.of("x-canary", "1")))).isFalse();
    assertThat(m.matches(new Req("POST", "/api/books", Map.of("x-canary", "1"), Map.of())))
        .isFalse();
  }

  @Test
  void anInvertedMatchAcceptsAnAbsentValue() {
    RequestMatch m =
        RequestMatch.builder().header("x-debug", StringMatch.present().inverted()).build();
    assertThat(m.matches(get("/", Map.of()))).isTrue();
    assertThat(m.matches(get("/", Map.of("x-debug", "")))).isFalse();
  }

  @Test
  void regexIsAFullMatchAndQueryParametersCount() {
    RequestMatch m =
        RequestMatch.builder()
            .path(StringMatch.regex("/books/[0-9]+"))
            .queryParameter("v", StringMatch.suffix("2"))
            .build();
    assertThat(m.matches(new Req("GET", "/books/42", Map.of(), Map.of("v", "v2")))).isTrue();
    assertThat(m.matches(new Req("GET", "/books/42/x", Map.of(), Map.of("v", "v2")))).isFalse();
    assertThat(m.matches(new Req("GET", "/books/42", Map.of(), Map.of()))).isFalse();
  }

  @Test
  void wildcardMethodAndEmptyBuilderMatchEverything() {
    assertThat(RequestMatch.builder().methods("*").build()).isSameAs(RequestMatch.any());
    assertThat(RequestMatch.any().matches(get("/anything", Map.of()))).isTrue();
  }

  @Test
  void badInputIsNamedInTheError() {
    assertThatThrownBy(() -> StringMatch.regex("(unclosed"))
        .hasMessageStartingWith("regex: \"(unclosed\" (expected a valid regular expression");
    assertThatThrownBy(() -> RequestMatch.builder().methods("GE T"))
        .hasMessage("method: \"GE T\" (expected an HTTP method)");
  }
}
