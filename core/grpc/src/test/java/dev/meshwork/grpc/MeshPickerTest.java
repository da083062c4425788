package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.RetryDecision;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.PickResult;
import io.grpc.LoadBalancer.PickSubchannelArgs;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The picker's contract with gRPC: one attempt per ticket however often gRPC picks. */
class MeshPickerTest {

  private final InMemorySource source = new InMemorySource();
  private final RecordingListener events = new RecordingListener();
  private final Mesh mesh = Mesh.builder().source(source).listener(events).build();
  private final Subchannel a = new FakeSubchannel();
  private final Subchannel b = new FakeSubchannel();

  @AfterEach
  void tearDown() {
    mesh.close();
  }

  private AttemptTicket ticket() {
    MeshCall call = mesh.newCall("reviews", new GrpcRequest(Echo.SAY, new Metadata()));
    return new AttemptTicket(call, null);
  }

  private static PickSubchannelArgs args(AttemptTicket t) {
    CallOptions options = CallOptions.DEFAULT.withOption(AttemptTicket.KEY, t);
    return new PickSubchannelArgs() {
      @Override
      public CallOptions getCallOptions() {
        return options;
      }

      @Override
      public Metadata getHeaders() {
        return new Metadata();
      }

      @Override
      public MethodDescriptor<?, ?> getMethodDescriptor() {
        return Echo.SAY;
      }
    };
  }

  private MeshPicker picker(Map<String, Subchannel> ready, Map<String, ConnectivityState> states) {
    return new MeshPicker(mesh, "reviews", ready, states, false, () -> {});
  }

  @Test
  void aRepickForTheSameAttemptReusesItsEndpointAndStartsNothingNew() {
    source.endpoints("reviews", Endpoint.of("10.0.0.2", 80));
    AttemptTicket t = ticket();
    PickSubchannelArgs args = args(t);

    PickResult first =
        picker(
                Map.of("10.0.0.1:80", a),
                Map.of(
                    "10.0.0.1:80",
                    ConnectivityState.READY,
                    "10.0.0.2:80",
                    ConnectivityState.CONNECTING))
            .pickSubchannel(args);
    PickResult second =
        picker(Map.of("10.0.0.2:80", b), Map.of("10.0.0.2:80", ConnectivityState.READY))
            .pickSubchannel(args);

    assertThat(first.hasResult()).isFalse();
    assertThat(second.getSubchannel()).isSameAs(b);
    assertThat(events.events("attemptStarted")).containsExactly("attemptStarted 1 10.0.0.2:80");

    t.tracer().streamClosed(Status.OK);
    t.tracer().streamClosed(Status.OK);
    t.complete(Status.OK, null);
    assertThat(events.events("attemptEnded")).hasSize(1);
    assertThat(events.events("callEnded")).containsExactly("callEnded reviews.default COMPLETE");
  }

  @Test
  void anAttemptWhoseEndpointIsUnreachableIsCompletedUnsentAndDropped() {
    source.endpoints("reviews", Endpoint.of("10.0.0.2", 80));
    AttemptTicket t = ticket();

    PickResult pick =
        picker(
                Map.of("10.0.0.1:80", a),
                Map.of(
                    "10.0.0.1:80",
                    ConnectivityState.READY,
                    "10.0.0.2:80",
                    ConnectivityState.TRANSIENT_FAILURE))
            .pickSubchannel(args(t));

    assertThat(pick.isDrop()).isTrue();
    assertThat(pick.getStatus().getDescription())
        .isEqualTo("endpoint 10.0.0.2:80 of reviews.default is unreachable");
    assertThat(t.completed).isTrue();
    // Never sent, so safe to retry; nobody will (no interceptor), so the call was ended.
    assertThat(t.decision).isEqualTo(RetryDecision.RETRY);
    assertThat(t.call.isEnded()).isTrue();
  }

  @Test
  void withNoConnectionReadyYetThePickWaitsWithoutStartingAnAttempt() {
    source.endpoints("reviews", Endpoint.of("10.0.0.2", 80));
    AttemptTicket t = ticket();

    PickResult pick =
        new MeshPicker(
                mesh,
                "reviews",
                Map.of(),
                Map.of("10.0.0.2:80", ConnectivityState.CONNECTING),
                true,
                () -> {})
            .pickSubchannel(args(t));

    assertThat(pick.hasResult()).isFalse();
    assertThat(t.attempt).isNull();
    assertThat(events.events("attemptStarted")).isEmpty();
  }

  /** A connection the picker can hand out; nothing else is used. */
  private static final class FakeSubchannel extends Subchannel {
    @Override
    public void shutdown() {}

    @Override
    public void requestConnection() {}

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return List.of(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 1)));
    }

    @Override
    public Attributes getAttributes() {
      return Attributes.EMPTY;
    }
  }
}
