package dev.meshwork.grpc;

import dev.meshwork.Mesh;
import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Keeps one connection (subchannel) per endpoint the name resolver reports and publishes a {@link
 * MeshPicker} over them. It does not balance by itself: the mesh chooses the endpoint per RPC and
 * the picker maps the choice to a connection, so balancing is per request even when each endpoint
 * has a single HTTP/2 connection.
 *
 * <p>Runs in the channel's synchronization context, so it needs no locks; pickers are immutable and
 * replaced, never changed.
 */
final class MeshLoadBalancer extends LoadBalancer {

  private final Helper helper;
  private final Map<String, Entry> subchannels = new LinkedHashMap<>();
  private @Nullable Mesh mesh;
  private String host = "";
  private boolean shutdown;

  /** Publishes a fresh picker from any thread (an injected delay ran out). */
  private final Runnable refresh;

  private static final class Entry {
    final Subchannel subchannel;
    final @Nullable Boolean mtls;
    ConnectivityState state = ConnectivityState.IDLE;

    Entry(Subchannel subchannel, @Nullable Boolean mtls) {
      this.subchannel = subchannel;
      this.mtls = mtls;
    }
  }

  MeshLoadBalancer(Helper helper) {
    this.helper = helper;
    this.refresh = () -> helper.getSynchronizationContext().execute(this::publish);
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    Attributes attributes = resolved.getAttributes();
    Mesh m = attributes.get(MeshNameResolver.MESH);
    String h = attributes.get(MeshNameResolver.HOST);
    if (m == null || h == null) {
      Status error =
          Status.UNAVAILABLE.withDescription(
              "the meshwork load balancer needs a mesh:/// target (its name resolver)");
      handleNameResolutionError(error);
      return error;
    }
    mesh = m;
    host = h;
    Map<String, EquivalentAddressGroup> wanted = new LinkedHashMap<>();
    for (EquivalentAddressGroup group : resolved.getAddresses()) {
      String key = group.getAttributes().get(MeshNameResolver.ENDPOINT);
      wanted.put(key != null ? key : group.getAddresses().toString(), group);
    }
    for (Map.Entry<String, EquivalentAddressGroup> w : wanted.entrySet()) {
      Entry e = subchannels.get(w.getKey());
      Boolean mtls = w.getValue().getAttributes().get(MeshNameResolver.MTLS);
      if (e != null && !Objects.equals(e.mtls, mtls)) {
        // The endpoint switched between plaintext and mTLS (a PERMISSIVE endpoint gained or lost
        // its identity): its connection was negotiated the other way, so it gets a new one.
        subchannels.remove(w.getKey());
        e.subchannel.shutdown();
        e = null;
      }
      if (e == null) {
        Subchannel s =
            helper.createSubchannel(
                CreateSubchannelArgs.newBuilder().setAddresses(w.getValue()).build());
        Entry entry = new Entry(s, mtls);
        subchannels.put(w.getKey(), entry);
        s.start(info -> onState(entry, info));
        s.requestConnection();
      } else {
        e.subchannel.updateAddresses(java.util.List.of(w.getValue()));
      }
    }
    subchannels
        .entrySet()
        .removeIf(
            e -> {
              if (wanted.containsKey(e.getKey())) {
                return false;
              }
              e.getValue().subchannel.shutdown();
              return true;
            });
    publish();
    return Status.OK;
  }

  @Override
  public boolean canHandleEmptyAddressListFromNameResolution() {
    return true; // a service without endpoints: calls fail fast with the mesh's message
  }

  private void onState(Entry entry, ConnectivityStateInfo info) {
    if (!subchannels.containsValue(entry)) {
      return;
    }
    entry.state = info.getState();
    if (info.getState() == ConnectivityState.IDLE) {
      entry.subchannel.requestConnection(); // keep every endpoint connected, as round_robin does
    }
    publish();
  }

  private void publish() {
    Mesh m = mesh;
    if (m == null || shutdown) {
      return;
    }
    Map<String, Subchannel> ready = new HashMap<>();
    Map<String, ConnectivityState> states = new HashMap<>();
    boolean connecting = false;
    for (Map.Entry<String, Entry> e : subchannels.entrySet()) {
      ConnectivityState s = e.getValue().state;
      states.put(e.getKey(), s);
      if (s == ConnectivityState.READY) {
        ready.put(e.getKey(), e.getValue().subchannel);
      } else if (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE) {
        connecting = true;
      }
    }
    ConnectivityState overall;
    if (!ready.isEmpty()) {
      overall = ConnectivityState.READY;
    } else if (connecting) {
      overall = ConnectivityState.CONNECTING;
    } else {
      overall = ConnectivityState.TRANSIENT_FAILURE;
    }
    helper.updateBalancingState(
        overall,
        new MeshPicker(
            m,
            host,
            Map.copyOf(ready),
            Map.copyOf(states),
            ready.isEmpty() && connecting,
            refresh));
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (subchannels.isEmpty()) {
      helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new ErrorPicker(error));
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    for (Entry e : subchannels.values()) {
      e.subchannel.shutdown();
    }
    subchannels.clear();
  }

  private static final class ErrorPicker extends SubchannelPicker {
    private final Status error;

    ErrorPicker(Status error) {
      this.error = error;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return PickResult.withError(error);
    }
  }
}
