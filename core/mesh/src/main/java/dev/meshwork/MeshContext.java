package dev.meshwork;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What travels with a request through the application: its deadline and a few keyed values (the
 * inbound peer's identity, the attempt count of an upstream retry). Inbound adapters (the servlet
 * filter, the gRPC server interceptor) make the caller's context current; outbound calls read it,
 * so a deadline set at the edge shortens every call made on its behalf.
 *
 * <p>Immutable; {@link #makeCurrent()} binds it to the current thread until the returned scope
 * closes. Values are stored in a small array, as contexts hold a handful of keys. A value that is a
 * {@link ThreadBinding} (another library's context, such as a tracing context) is bound to the
 * thread along with the mesh context, so it travels wherever the mesh context does.
 *
 * <pre>{@code
 * MeshContext ctx = MeshContext.current().withDeadline(Deadline.after(timeout, ticker));
 * try (MeshContext.Scope ignored = ctx.makeCurrent()) {
 *   // outbound mesh calls made here carry at most `timeout`
 * }
 * }</pre>
 */
public final class MeshContext {

  /**
   * The SPIFFE ID of the peer that sent the request being served, when it came over mTLS with a
   * SPIFFE certificate. Set by the inbound adapters; read by access policy and by handlers.
   */
  public static final Key<SpiffeId> PEER_IDENTITY = Key.named("meshwork.peer-identity");

  /**
   * The attempt number of the request being served as the upstream mesh sent it (1 for a first
   * attempt, 2 or more for a retry or a hedged backup), when a propagator read it from the request
   * (see {@code meshwork-resilience}'s {@code AttemptCounter}). Outbound calls made for a request
   * that is itself a retry do not retry themselves (see {@link
   * Mesh.Builder#deferRetriesToUpstream}).
   */
  public static final Key<Integer> UPSTREAM_ATTEMPT = Key.named("meshwork.upstream-attempt");

  private static final MeshContext ROOT = new MeshContext(null, new Object[0]);
  private static final ThreadLocal<MeshContext> CURRENT = new ThreadLocal<>();

  private final @Nullable Deadline deadline;

  /** Alternating keys and values. */
  private final Object[] entries;

  /** Whether a value is a {@link ThreadBinding}; most contexts hold none and skip the search. */
  private final boolean hasBindings;

  private MeshContext(@Nullable Deadline deadline, Object[] entries) {
    this.deadline = deadline;
    this.entries = entries;
    boolean bindings = false;
    for (int i = 1; i < entries.length; i += 2) {
      bindings |= entries[i] instanceof ThreadBinding;
    }
    this.hasBindings = bindings;
  }

  /** The context with no deadline and no values. */
  public static MeshContext root() {
    return ROOT;
  }

  /** The context bound to this thread, or {@link #root()}. */
  public static MeshContext current() {
    MeshContext c = CURRENT.get();
    return c == null ? ROOT : c;
  }

  public @Nullable Deadline deadline() {
    return deadline;
  }

  /**
   * This context with {@code deadline}, unless the current one is earlier: deadlines only shorten.
   */
  public MeshContext withDeadline(Deadline deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (this.deadline != null && this.deadline.compareTo(deadline) <= 0) {
      return this;
    }
    return new MeshContext(deadline, entries);
  }

  @SuppressWarnings("unchecked")
  public <T> @Nullable T get(Key<T> key) {
    for (int i = 0; i < entries.length; i += 2) {
      if (entries[i] == key) {
        return (T) entries[i + 1];
      }
    }
    return null;
  }

  /** This context with {@code key} set to {@code value}. */
  public <T> MeshContext with(Key<T> key, T value) {
    Objects.requireNonNull(value, "value");
    for (int i = 0; i < entries.length; i += 2) {
      if (entries[i] == key) {
        Object[] copy = entries.clone();
        copy[i + 1] = value;
        return new MeshContext(deadline, copy);
      }
    }
    Object[] copy = Arrays.copyOf(entries, entries.length + 2);
    copy[entries.length] = key;
    copy[entries.length + 1] = value;
    return new MeshContext(deadline, copy);
  }

  /**
   * Binds this context to the current thread until the scope is closed, together with every value
   * that is a {@link ThreadBinding}; closing the scope unbinds those in reverse order first.
   */
  public Scope makeCurrent() {
    MeshContext previous = CURRENT.get();
    CURRENT.set(this);
    if (!hasBindings) {
      return () -> restore(previous);
    }
    Scope[] bound = bindValues();
    return () -> {
      for (int i = bound.length - 1; i >= 0; i--) {
        closeQuietly(bound[i]);
      }
      restore(previous);
    };
  }

  private static void restore(@Nullable MeshContext previous) {
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }

  private Scope[] bindValues() {
    Scope[] bound = new Scope[entries.length / 2];
    int n = 0;
    for (int i = 1; i < entries.length; i += 2) {
      if (entries[i] instanceof ThreadBinding) {
        Scope scope;
        try {
          scope = ((ThreadBinding) entries[i]).bind();
        } catch (RuntimeException e) {
          continue; // a binding that fails binds nothing; the mesh context is still current
        }
        bound[n++] = scope;
      }
    }
    return Arrays.copyOf(bound, n);
  }

  private static void closeQuietly(Scope scope) {
    try {
      scope.close();
    } catch (RuntimeException e) {
      // Unbinding must not stop the remaining scopes, nor the mesh context, from being restored.
    }
  }

  /** {@code task} run with this context current, for handing work to another thread. */
  public Runnable wrap(Runnable task) {
    Objects.requireNonNull(task, "task");
    return () -> {
      try (Scope ignored = makeCurrent()) {
        task.run();
      }
    };
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("MeshContext{");
    if (deadline != null) {
      s.append(deadline);
    }
    for (int i = 0; i < entries.length; i += 2) {
      s.append(s.length() > 12 ? ", " : "").append(entries[i]).append('=').append(entries[i + 1]);
    }
    return s.append('}').toString();
  }

  /** Restores the previous context of the thread when closed. */
  @FunctionalInterface
  public interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * A context value that binds state of its own to the thread whenever its {@link MeshContext} is
   * made current, and unbinds it when that scope closes. This is how another library's context
   * travels with the mesh's: the inbound adapters make the caller's mesh context current around the
   * handler, and {@link MeshContext#wrap} carries it to other threads, so a tracing library that
   * keeps its context in a mesh context value (as {@code meshwork-otel} does with OpenTelemetry's)
   * sees it current wherever the mesh context is.
   *
   * <p>{@link #bind()} runs on the request path every time the context is made current: it must be
   * fast and should not throw (a binding that throws is skipped).
   *
   * <pre>{@code
   * final class TenantBinding implements MeshContext.ThreadBinding {
   *   final String tenant;
   *   TenantBinding(String tenant) { this.tenant = tenant; }
   *   @Override public MeshContext.Scope bind() {
   *     String previous = TENANT.get();
   *     TENANT.set(tenant);
   *     return () -> TENANT.set(previous);
   *   }
   * }
   * MeshContext ctx = MeshContext.current().with(TENANT_KEY, new TenantBinding("acme"));
   * }</pre>
   */
  @FunctionalInterface
  public interface ThreadBinding {
    /** Binds this value's state to the current thread; the returned scope undoes it. */
    Scope bind();
  }

  /**
   * A key for a context value; compared by identity, so keep keys in constants.
   *
   * @param <T> the value's type
   */
  public static final class Key<T> {
    private final String name;

    private Key(String name) {
      this.name = name;
    }

    public static <T> Key<T> named(String name) {
      return new Key<>(Objects.requireNonNull(name, "name"));
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
