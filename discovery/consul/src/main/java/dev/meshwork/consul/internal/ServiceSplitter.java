package dev.meshwork.consul.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A {@code service-splitter} config entry, validated as Consul validates it: at least one split,
 * weights rounded to 0.01 and summing to exactly 100, no destination twice.
 */
public record ServiceSplitter(String name, List<Split> splits) {

  /**
   * One split. {@code service} is empty for the splitter's own service; {@code weight} is in
   * hundredths of a percent (Consul's 0.01 granularity): 10000 is 100 %.
   */
  public record Split(
      int weight,
      String service,
      String serviceSubset,
      String namespace,
      String partition,
      HeaderMods requestHeaders,
      HeaderMods responseHeaders,
      Json at) {}

  public static ServiceSplitter parse(String name, Json json) {
    json.requireObject();
    List<Json> items = json.array("Splits");
    if (items.isEmpty()) {
      throw json.field("Splits").error("at least one split (no splits configured)");
    }
    List<Split> splits = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    long total = 0;
    for (Json s : items) {
      s.requireObject();
      if (s.field("Weight").isAbsent()) {
        throw s.field("Weight").error("a weight in percent, 0..100");
      }
      double w = s.number("Weight", 0);
      if (!(w >= 0 && w <= 100)) {
        throw s.field("Weight").error("a weight in percent, 0..100");
      }
      int hundredths = (int) Math.round(w * 100);
      total += hundredths;
      Split split =
          new Split(
              hundredths,
              s.string("Service", ""),
              s.string("ServiceSubset", ""),
              s.string("Namespace", ""),
              s.string("Partition", ""),
              HeaderMods.parse(s.field("RequestHeaders")),
              HeaderMods.parse(s.field("ResponseHeaders")),
              s);
      String key =
          (split.service().isEmpty() ? name : split.service())
              + "/"
              + split.serviceSubset()
              + "/"
              + split.namespace()
              + "/"
              + split.partition();
      if (!seen.add(key.toLowerCase(Locale.ROOT))) {
        throw s.error(
            "each destination once (split destination occurs more than once: service="
                + (split.service().isEmpty() ? name : split.service())
                + (split.serviceSubset().isEmpty() ? "" : ", subset=" + split.serviceSubset())
                + ")");
      }
      splits.add(split);
    }
    if (total != 10000) {
      throw json.field("Splits")
          .error(
              String.format(
                  Locale.ROOT,
                  "weights summing to 100 (the sum of all split weights must be 100, not %.2f)",
                  total / 100.0));
    }
    return new ServiceSplitter(name, List.copyOf(splits));
  }
}
