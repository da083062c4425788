package dev.meshwork.smi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.RequestMatch;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** TrafficSplit and HTTPRouteGroup documents in every version and shape, and their errors. */
class SmiParsingTest {

  private final ResourceParser parser = new ResourceParser("default");

  private List<Resource> parse(String yaml) {
    return parser.parseAll("split.yaml", yaml);
  }

  private static String split(String version, String w1, String w2) {
    return """
        apiVersion: split.smi-spec.io/%s
        kind: TrafficSplit
        metadata: {name: reviews, namespace: default}
        spec:
          service: reviews
          backends:
          - service: reviews-v1
            weight: %s
          - service: reviews-v2
            weight: %s
        """
        .formatted(version, w1, w2);
  }

  private List<Integer> weights(String yaml) {
    Resource.TrafficSplit s = (Resource.TrafficSplit) parse(yaml).get(0);
    return s.backends().stream().map(Backend::weight).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1alpha1", "v1alpha2", "v1alpha3", "v1alpha4"})
  void everyVersionAcceptsIntegersDecimalsAndQuantities(String version) {
    assertThat(weights(split(version, "90", "10"))).containsExactly(90, 10);
    assertThat(weights(split(version, "1", "500m"))).containsExactly(10, 5);
    assertThat(weights(split(version, "0.75", "0.25"))).containsExactly(75, 25);
    assertThat(weights(split(version, "\"1000\"", "\"500\""))).containsExactly(1000, 500);
    assertThat(weights(split(version, "1k", "0"))).containsExactly(1000, 0);
  }

  @ParameterizedTest
  @CsvSource({
    "-5, \"-5\"",
    "'\"-5\"', \"-5\"",
    "ten, \"ten\"",
    "10%, \"10%\"",
    "1.5.3, \"1.5.3\"",
    "'[1]', \"[1]\"",
  })
  void aNegativeOrNonNumericWeightIsRejectedWithTheFieldAndValue(String weight, String shown) {
    assertThatThrownBy(() -> parse(split("v1alpha2", "90", weight)))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "split.yaml: TrafficSplit default/reviews: spec.backends[1].weight: "
                + shown
                + " (expected a non-negative integer or quantity)");
  }

  @Test
  void allZeroWeightsAreRejected() {
    assertThatThrownBy(() -> parse(split("v1alpha4", "0", "0m")))
        .hasMessage(
            "split.yaml: TrafficSplit default/reviews: spec.backends[*].weight: \"0\""
                + " (expected at least one positive weight)");
  }

  @Test
  void missingFieldsNameThePathAndWhatWasExpected() {
    assertThatThrownBy(() -> parse(split("v1alpha4", "1", "1").replace("  service: reviews\n", "")))
        .hasMessage(
            "split.yaml: TrafficSplit default/reviews: spec.service: null (expected a service name)");
    assertThatThrownBy(() -> parse(split("v1alpha4", "1", "1").replace("name: reviews,", "")))
        .hasMessage("split.yaml: TrafficSplit: metadata.name: null (expected a resource name)");
    assertThatThrownBy(() -> parse(split("v1alpha4", "1", "1").replace("reviews-v2", "reviews-v1")))
        .hasMessageContaining("spec.backends[1].service: \"reviews-v1\"")
        .hasMessageEndingWith("(expected each backend service at most once)");
  }

  @Test
  void anUnknownVersionOfAKnownGroupIsRejectedAndOtherKindsAreSkipped() {
    assertThatThrownBy(() -> parse(split("v2", "1", "1")))
        .hasMessage(
            "split.yaml: TrafficSplit default/reviews: apiVersion: \"split.smi-spec.io/v2\""
                + " (expected one of split.smi-spec.io/[v1alpha1, v1alpha2, v1alpha3, v1alpha4])");
    assertThat(parse("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")).isEmpty();
  }

  @Test
  void theApexAndBackendsMayBeFullyQualified() {
    Resource.TrafficSplit s =
        (Resource.TrafficSplit)
            parse(
                    split("v1alpha4", "1", "1")
                        .replace(
                            "service: reviews\n", "service: reviews.default.svc.cluster.local\n"))
                .get(0);
    assertThat(s.apex().toString()).isEqualTo("reviews.default");
  }

  @Test
  void aResourceDefinedTwiceInOneFileIsRejected() {
    String twice = split("v1alpha4", "1", "1") + "---\n" + split("v1alpha4", "2", "1");
    assertThatThrownBy(() -> parse(twice))
        .hasMessageEndingWith("(expected each TrafficSplit once per file)");
  }

  private static String group(String version, boolean nested, String matches) {
    String body = nested ? "spec:\n  matches:\n" + matches.indent(2) : "matches:\n" + matches;
    return "apiVersion: specs.smi-spec.io/"
        + version
        + "\nkind: HTTPRouteGroup\nmetadata: {name: g}\n"
        + body;
  }

  private RequestMatch match(String yaml, String name) {
    return ((Resource.HttpRouteGroup) parse(yaml).get(0)).matches().get(name);
  }

  private static final String MAP_HEADERS =
      """
      - name: m
        pathRegex: /api
        methods: [GET]
        headers:
          user-agent: ".*Android.*"
          x-tier: "gold|silver"
      """;

  private static final String LIST_HEADERS =
      """
      - name: m
        pathRegex: /api
        methods: [GET]
        headers:
        - user-agent: ".*Android.*"
        - x-tier: "gold|silver"
      """;

  @ParameterizedTest
  @CsvSource({"v1alpha1,false", "v1alpha2,false", "v1alpha3,true", "v1alpha4,true"})
  void bothHeaderFormsMeanTheSameInEveryVersion(String version, boolean nested) {
    RequestMatch fromMap = match(group(version, nested, MAP_HEADERS), "m");
    RequestMatch fromList = match(group(version, nested, LIST_HEADERS), "m");
    assertThat(fromList).isEqualTo(fromMap);
    TestRequest android = TestRequest.get("/api/v1").header("user-agent", "Android 14");
    assertThat(fromMap.matches(android.header("x-tier", "gold"))).isTrue();
    assertThat(fromMap.matches(android.header("x-tier", "bronze"))).isFalse();
    assertThat(fromMap.matches(android)).isFalse();
  }

  @Test
  void aListHeaderItemWithTwoKeysIsRejected() {
    String twoKeys =
        """
        - name: m
          headers:
          - {user-agent: ".*", cookie: ".*"}
        """;
    assertThatThrownBy(() -> parse(group("v1alpha4", true, twoKeys)))
        .hasMessageStartingWith("split.yaml: HTTPRouteGroup default/g: spec.matches[0].headers[0]:")
        .hasMessageEndingWith("(expected exactly one header name and regex per list item)");
  }

  @Test
  void matchesInTheOtherVersionsPlaceAreReadWithAWarning() {
    assertThat(match(group("v1alpha4", false, MAP_HEADERS), "m"))
        .isEqualTo(match(group("v1alpha4", true, MAP_HEADERS), "m"));
    assertThat(match(group("v1alpha1", true, MAP_HEADERS), "m"))
        .isEqualTo(match(group("v1alpha4", true, MAP_HEADERS), "m"));
  }

  @Test
  void anInvalidRegexIsAConfigError() {
    String bad = "- name: m\n  pathRegex: \"/api/(v1\"\n";
    assertThatThrownBy(() -> parse(group("v1alpha4", true, bad)))
        .hasMessageStartingWith(
            "split.yaml: HTTPRouteGroup default/g: spec.matches[0].pathRegex: \"/api/(v1\""
                + " (expected a valid RE2 regular expression");
  }

  @Test
  void regexesRunInLinearTime() {
    // Catastrophic for backtracking engines; RE2 answers at once.
    String evil = "- name: m\n  headers:\n    x: \"(a+)+$\"\n";
    RequestMatch m = match(group("v1alpha4", true, evil), "m");
    assertThat(m.matches(TestRequest.get("/").header("x", "a".repeat(5000) + "!"))).isFalse();
  }

  @Test
  void methodsAreCheckedAndStarMeansAny() {
    assertThat(match(group("v1alpha4", true, "- name: m\n  methods: [\"*\"]\n"), "m").isAny())
        .isTrue();
    assertThatThrownBy(() -> parse(group("v1alpha4", true, "- name: m\n  methods: [FETCH]\n")))
        .hasMessageContaining("spec.matches[0].methods[0]: \"FETCH\" (expected one of [*, CONNECT");
  }

  @Test
  void duplicateMatchNamesAreRejected() {
    assertThatThrownBy(() -> parse(group("v1alpha4", true, "- name: m\n- name: m\n")))
        .hasMessageEndingWith("(expected match names unique within the group)");
  }
}
