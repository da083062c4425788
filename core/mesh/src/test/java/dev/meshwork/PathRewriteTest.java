package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PathRewriteTest {

  @Test
  void aPrefixIsReplacedSegmentBySegment() {
    PathRewrite r = PathRewrite.replacePrefix("/admin", "/");
    assertThat(r.apply("/admin/users")).isEqualTo("/users");
    assertThat(r.apply("/admin")).isEqualTo("/");
    assertThat(r.apply("/administrator")).isEqualTo("/administrator");
    assertThat(r.apply("/other")).isEqualTo("/other");
  }

  @Test
  void prefixesWithAndWithoutTrailingSlashesJoinWithOneSlash() {
    assertThat(PathRewrite.replacePrefix("/api/", "/v2").apply("/api/books"))
        .isEqualTo("/v2/books");
    assertThat(PathRewrite.replacePrefix("/api", "/v2/").apply("/api/books"))
        .isEqualTo("/v2/books");
    assertThat(PathRewrite.replacePrefix("/", "/base").apply("/books")).isEqualTo("/base/books");
    assertThat(PathRewrite.replacePrefix("/", "/base/").apply("/books")).isEqualTo("/base/books");
  }

  @Test
  void aFullRewriteReplacesEveryPath() {
    assertThat(PathRewrite.replaceFull("/health").apply("/anything/at/all")).isEqualTo("/health");
  }

  @Test
  void rewritesMustBePaths() {
    assertThatThrownBy(() -> PathRewrite.replacePrefix("admin", "/"))
        .hasMessage("path rewrite prefix: \"admin\" (expected a path starting with '/')");
  }
}
