package dev.meshwork.smi;

import dev.meshwork.ConfigException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last good resources of one source, in buckets (a file, or one Kubernetes object), and their
 * compilation. A bucket is replaced whole or not at all, so an invalid file or object leaves what
 * it said before in force. When two buckets define the same resource, the bucket that sorts first
 * wins and the other definition is reported. Not thread-safe: each source uses it under its lock.
 */
final class ResourceStore {

  private final TreeMap<String, List<Resource>> buckets = new TreeMap<>();
  private final Compiler compiler = new Compiler();

  void put(String bucket, List<Resource> resources) {
    buckets.put(bucket, List.copyOf(resources));
  }

  /** Returns whether the bucket was there. */
  boolean remove(String bucket) {
    return buckets.remove(bucket) != null;
  }

  Compiler.Result compile() {
    Map<Resource.Id, String> owners = new HashMap<>();
    List<Resource> all = new ArrayList<>();
    List<ConfigException> duplicates = new ArrayList<>();
    buckets.forEach(
        (bucket, resources) -> {
          for (Resource r : resources) {
            String owner = owners.putIfAbsent(r.id(), bucket);
            if (owner == null) {
              all.add(r);
            } else {
              duplicates.add(
                  ConfigException.of(
                      r.origin(),
                      "metadata.name",
                      r.id().name(),
                      "a name not already used by " + r.id().kind() + " in " + owner));
            }
          }
        });
    Compiler.Result result = compiler.compile(all);
    if (duplicates.isEmpty()) {
      return result;
    }
    duplicates.addAll(result.problems());
    return new Compiler.Result(result.config(), List.copyOf(duplicates));
  }
}
