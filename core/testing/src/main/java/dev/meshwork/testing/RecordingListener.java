package dev.meshwork.testing;

import dev.meshwork.AccessDecision;
import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.GateState;
import dev.meshwork.InboundCall;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshListener;
import dev.meshwork.MeshSnapshot;
import dev.meshwork.Route;
import dev.meshwork.ServiceName;
import dev.meshwork.X509Identity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A {@link MeshListener} that records what it sees, for assertions: every event as a line of text
 * (in order), plus the ended calls and attempts, the rejected configurations and the applied
 * snapshots. Thread-safe.
 *
 * <pre>{@code
 * RecordingListener events = new RecordingListener();
 * Mesh mesh = Mesh.builder().listener(events).build();
 * // ... make calls ...
 * assertThat(events.attempts()).hasSize(2);
 * assertThat(events.events()).contains("callEnded reviews.default BUDGET_EXHAUSTED");
 * }</pre>
 */
public final class RecordingListener implements MeshListener {

  private final List<String> events = new CopyOnWriteArrayList<>();
  private final List<MeshCall> calls = new CopyOnWriteArrayList<>();
  private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  private final List<ConfigException> rejected = new CopyOnWriteArrayList<>();
  private final List<MeshSnapshot> snapshots = new CopyOnWriteArrayList<>();
  private final List<InboundCall> inbound = new CopyOnWriteArrayList<>();

  @Override
  public void callStarted(MeshCall call) {
    events.add("callStarted " + call.service() + " " + call.backend().name());
  }

  @Override
  public void attemptStarted(MeshCall call, Attempt attempt) {
    events.add("attemptStarted " + attempt.number() + " " + attempt.endpoint().authority());
  }

  @Override
  public void attemptEnded(MeshCall call, Attempt attempt) {
    attempts.add(attempt);
    events.add(
        "attemptEnded "
            + attempt.number()
            + " "
            + attempt.endpoint().authority()
            + " "
            + attempt.result()
            + " "
            + attempt.describeResult());
  }

  @Override
  public void callEnded(MeshCall call) {
    calls.add(call);
    events.add("callEnded " + call.service() + " " + call.decision());
  }

  @Override
  public void failedOpen(MeshCall call, String backend) {
    events.add("failedOpen " + backend);
  }

  @Override
  public void inboundStarted(InboundCall call) {
    events.add("inboundStarted " + call.method() + " " + call.path());
  }

  @Override
  public void inboundEnded(InboundCall call) {
    inbound.add(call);
    events.add(
        "inboundEnded "
            + call.method()
            + " "
            + call.path()
            + " "
            + call.result()
            + " "
            + (call.httpStatus() != 0 ? call.httpStatus() : call.grpcCode()));
  }

  @Override
  public void gateStateChanged(
      ServiceName service, Endpoint endpoint, GateState from, GateState to, String reason) {
    events.add(
        "gateStateChanged "
            + service
            + " "
            + endpoint.authority()
            + " "
            + from
            + " -> "
            + to
            + " ("
            + reason
            + ")");
  }

  @Override
  public void accessDenied(InboundCall call, AccessDecision decision) {
    events.add("accessDenied " + call.method() + " " + call.path() + " " + decision.reason());
  }

  @Override
  public void identityUpdated(String source, X509Identity identity) {
    events.add("identityUpdated " + source + " " + identity.spiffeId());
  }

  @Override
  public void identityExpiring(String source, X509Identity identity, Duration remaining) {
    events.add("identityExpiring " + source + " " + identity.spiffeId() + " in " + remaining);
  }

  @Override
  public void snapshotApplied(MeshSnapshot snapshot) {
    snapshots.add(snapshot);
    events.add("snapshotApplied " + snapshot.generation());
  }

  @Override
  public void configRejected(ConfigException error) {
    rejected.add(error);
    events.add("configRejected " + error.getMessage());
  }

  @Override
  public void sourceFailed(String source, Throwable error) {
    events.add("sourceFailed " + source + " " + error);
  }

  @Override
  public void sourceRecovered(String source) {
    events.add("sourceRecovered " + source);
  }

  @Override
  public void backendUnavailable(ServiceName service, Route route, Backend backend) {
    events.add("backendUnavailable " + service + " " + backend.name());
  }

  /** Every event so far, in order, one line each. */
  public List<String> events() {
    return List.copyOf(events);
  }

  /** Events that start with {@code prefix}. */
  public List<String> events(String prefix) {
    return filter(events, e -> e.startsWith(prefix));
  }

  /** Calls that have ended, in the order they ended. */
  public List<MeshCall> calls() {
    return List.copyOf(calls);
  }

  /** Attempts that have ended, in the order they ended. */
  public List<Attempt> attempts() {
    return List.copyOf(attempts);
  }

  /** Inbound calls that have ended, in the order they ended. */
  public List<InboundCall> inbound() {
    return List.copyOf(inbound);
  }

  public List<ConfigException> rejected() {
    return List.copyOf(rejected);
  }

  public List<MeshSnapshot> snapshots() {
    return List.copyOf(snapshots);
  }

  /** Forgets everything recorded so far. */
  public void clear() {
    events.clear();
    calls.clear();
    attempts.clear();
    rejected.clear();
    snapshots.clear();
    inbound.clear();
  }

  private static <T> List<T> filter(List<T> list, Predicate<T> keep) {
    List<T> out = new ArrayList<>();
    for (T t : list) {
      if (keep.test(t)) {
        out.add(t);
      }
    }
    return out;
  }
}
