package dev.meshwork.tls;

import dev.meshwork.Endpoint;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import dev.meshwork.TransportSecurity.Mode;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.jspecify.annotations.Nullable;

/**
 * Per destination: the mode, and the identity each endpoint's server must present. Built once the
 * mesh's default namespace is known; immutable apart from a cache of parsed endpoint identities.
 * Thread-safe.
 */
final class DestinationPolicy {

  private final Mode defaultMode;
  private final Map<ServiceName, Mode> modes;
  private final Map<ServiceName, SpiffeId> expected;
  private final ConcurrentHashMap<String, SpiffeId> parsed = new ConcurrentHashMap<>();

  DestinationPolicy(
      Mode defaultMode,
      Map<String, Mode> modes,
      Map<String, SpiffeId> expected,
      String defaultNamespace) {
    this.defaultMode = defaultMode;
    Map<ServiceName, Mode> m = new HashMap<>();
    modes.forEach((name, mode) -> m.put(ServiceName.parse(name, defaultNamespace), mode));
    this.modes = Map.copyOf(m);
    Map<ServiceName, SpiffeId> e = new HashMap<>();
    expected.forEach((name, id) -> e.put(ServiceName.parse(name, defaultNamespace), id));
    this.expected = Map.copyOf(e);
  }

  Mode mode(ServiceName destination) {
    return modes.getOrDefault(destination, defaultMode);
  }

  /**
   * The identity {@code endpoint}'s server must present, or null for plaintext: the endpoint's own
   * under PERMISSIVE; the endpoint's, else the destination's configured one, under STRICT.
   */
  @Nullable SpiffeId serverIdentity(ServiceName destination, Endpoint endpoint)
      throws SSLPeerUnverifiedException {
    Mode mode = mode(destination);
    if (mode == Mode.DISABLED) {
      return null;
    }
    String discovered = endpoint.identity();
    SpiffeId id = discovered != null ? parse(discovered, destination, endpoint) : null;
    if (id == null && mode == Mode.STRICT) {
      id = expected.get(destination);
      if (id == null) {
        throw new SSLPeerUnverifiedException(
            "strict mTLS to "
                + destination
                + ": endpoint "
                + endpoint.authority()
                + " has no expected identity (expected a SPIFFE ID from discovery or"
                + " MeshTls.Builder.expectIdentity)");
      }
    }
    return id;
  }

  private SpiffeId parse(String discovered, ServiceName destination, Endpoint endpoint)
      throws SSLPeerUnverifiedException {
    SpiffeId id = parsed.get(discovered);
    if (id != null) {
      return id;
    }
    try {
      id = SpiffeId.parse(discovered);
    } catch (IllegalArgumentException e) {
      SSLPeerUnverifiedException failure =
          new SSLPeerUnverifiedException(
              "endpoint " + endpoint.authority() + " of " + destination + ": " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
    if (parsed.size() < 10_000) {
      parsed.put(discovered, id);
    }
    return id;
  }
}
