package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MeshContextTest {

  private final AtomicLong now = new AtomicLong(5_000);
  private final Ticker ticker = now::get;

  @Test
  void aDeadlineOnlyEverShortens() {
    Deadline soon = Deadline.after(Duration.ofMillis(100), ticker);
    Deadline later = Deadline.after(Duration.ofMillis(900), ticker);
    MeshContext ctx = MeshContext.root().withDeadline(soon);
    assertThat(ctx.withDeadline(later).deadline()).isSameAs(soon);
    Deadline sooner = Deadline.after(Duration.ofMillis(10), ticker);
    assertThat(ctx.withDeadline(sooner).deadline()).isSameAs(sooner);
  }

  @Test
  void deadlinesOnDifferentTickersCompareByRemainingTime() {
    Deadline a = Deadline.after(Duration.ofMillis(100), ticker);
    Deadline b = Deadline.after(Duration.ofMillis(50), Ticker.system());
    assertThat(a.earliest(b)).isSameAs(b);
  }

  @Test
  void scopeRestoresThePreviousContext() {
    MeshContext.Key<String> peer = MeshContext.Key.named("peer");
    MeshContext outer = MeshContext.root().with(peer, "a");
    try (MeshContext.Scope s1 = outer.makeCurrent()) {
      try (MeshContext.Scope s2 = MeshContext.current().with(peer, "b").makeCurrent()) {
        assertThat(MeshContext.current().get(peer)).isEqualTo("b");
      }
      assertThat(MeshContext.current().get(peer)).isEqualTo("a");
    }
    assertThat(MeshContext.current()).isSameAs(MeshContext.root());
  }

  @Test
  void wrappedTasksRunWithTheContextOnAnotherThread() throws Exception {
    MeshContext ctx =
        MeshContext.root().withDeadline(Deadline.after(Duration.ofSeconds(1), ticker));
    Deadline[] seen = new Deadline[1];
    Thread t = new Thread(ctx.wrap(() -> seen[0] = MeshContext.current().deadline()));
    t.start();
    t.join();
    assertThat(seen[0]).isSameAs(ctx.deadline());
  }

  @Test
  void remainingTimeFollowsTheTicker() {
    Deadline d = Deadline.after(Duration.ofMillis(100), ticker);
    now.addAndGet(40_000_000);
    assertThat(d.remainingNanos()).isEqualTo(60_000_000);
    now.addAndGet(60_000_000);
    assertThat(d.isExpired()).isTrue();
  }

  /** Records what it binds and unbinds, in order, into {@code log}. */
  private static MeshContext.ThreadBinding recording(String name, List<String> log) {
    return () -> {
      log.add("bind " + name);
      return () -> log.add("unbind " + name);
    };
  }

  @Test
  void valuesThatBindToTheThreadAreBoundWhileTheirContextIsCurrent() {
    List<String> log = new ArrayList<>();
    MeshContext.Key<MeshContext.ThreadBinding> a = MeshContext.Key.named("a");
    MeshContext.Key<MeshContext.ThreadBinding> b = MeshContext.Key.named("b");
    MeshContext.Key<String> plain = MeshContext.Key.named("plain");
    MeshContext ctx =
        MeshContext.root()
            .with(a, recording("a", log))
            .with(plain, "x")
            .with(b, recording("b", log));

    try (MeshContext.Scope ignored = ctx.makeCurrent()) {
      log.add("handler sees " + MeshContext.current().get(plain));
    }

    assertThat(log).containsExactly("bind a", "bind b", "handler sees x", "unbind b", "unbind a");
    assertThat(MeshContext.current()).isSameAs(MeshContext.root());
  }

  @Test
  void aBindingThatThrowsIsSkippedAndTheRestStillBind() {
    List<String> log = new ArrayList<>();
    MeshContext.Key<MeshContext.ThreadBinding> broken = MeshContext.Key.named("broken");
    MeshContext.Key<MeshContext.ThreadBinding> good = MeshContext.Key.named("good");
    MeshContext ctx =
        MeshContext.root()
            .with(
                broken,
                () -> {
                  throw new IllegalStateException("cannot bind");
                })
            .with(good, recording("good", log));

    try (MeshContext.Scope ignored = ctx.makeCurrent()) {
      assertThat(MeshContext.current()).isSameAs(ctx);
    }

    assertThat(log).containsExactly("bind good", "unbind good");
    assertThat(MeshContext.current()).isSameAs(MeshContext.root());
  }

  @Test
  void wrappedTasksBindTheirContextsValuesOnTheOtherThread() throws Exception {
    List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
    MeshContext.Key<MeshContext.ThreadBinding> key = MeshContext.Key.named("tracing");
    MeshContext ctx = MeshContext.root().with(key, recording("span", log));

    Thread t = new Thread(ctx.wrap(() -> log.add("task")));
    t.start();
    t.join();

    assertThat(log).containsExactly("bind span", "task", "unbind span");
  }

  @Test
  void replacingABindingValueBindsOnlyTheNewOne() {
    List<String> log = new ArrayList<>();
    MeshContext.Key<Object> key = MeshContext.Key.named("value");
    MeshContext ctx =
        MeshContext.root().with(key, recording("old", log)).with(key, "no longer a binding");

    try (MeshContext.Scope ignored = ctx.makeCurrent()) {
      log.add("inside");
    }

    assertThat(log).containsExactly("inside");
  }
}
