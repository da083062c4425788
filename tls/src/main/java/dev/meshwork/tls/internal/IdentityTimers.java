package dev.meshwork.tls.internal;

import dev.meshwork.X509Identity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The timers of the identity in use: renewal and expiry warnings. Tracking a new identity cancels
 * the old one's timers.
 *
 * <ul>
 *   <li>Renewal, as Linkerd's proxy does it: after 70 % of the certificate's remaining lifetime,
 *       clamped to [10 s, 24 h], ask the source for a fresh identity; while none arrives, ask again
 *       on the same rule (so attempts come closer together as expiry nears). A source that cannot
 *       renew is asked once.
 *   <li>Expiry warnings: from {@code window} before expiry, report the remaining time, then again
 *       every {@code interval} until a newer identity arrives.
 * </ul>
 *
 * <p>Thread-safe. Wall-clock time comes from the injected {@link Clock} (certificate validity is
 * wall-clock), delays go to the injected scheduler.
 *
 * <pre>{@code
 * IdentityTimers timers = new IdentityTimers(scheduler, clock, Duration.ofHours(24),
 *     Duration.ofHours(1), source::renew, (id, left) -> listener.identityExpiring(name, id, left));
 * timers.track(identity);   // on every new identity
 * }</pre>
 */
public final class IdentityTimers {

  static final Duration MIN_REFRESH = Duration.ofSeconds(10);
  static final Duration MAX_REFRESH = Duration.ofHours(24);

  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Duration window;
  private final Duration interval;
  private final BooleanSupplier renew;
  private final BiConsumer<X509Identity, Duration> warn;
  private @Nullable X509Identity tracked;
  private @Nullable ScheduledFuture<?> renewal;
  private @Nullable ScheduledFuture<?> warning;

  /**
   * @param renew asks the source for a fresh identity; false when it cannot
   * @param warn reports the identity and its remaining lifetime (never negative)
   */
  public IdentityTimers(
      ScheduledExecutorService scheduler,
      Clock clock,
      Duration window,
      Duration interval,
      BooleanSupplier renew,
      BiConsumer<X509Identity, Duration> warn) {
    this.scheduler = scheduler;
    this.clock = clock;
    this.window = window;
    this.interval = interval;
    this.renew = renew;
    this.warn = warn;
  }

  /** How long after {@code now} to renew a certificate valid until {@code notAfter}. */
  public static Duration refreshDelay(Instant now, Instant notAfter) {
    Duration remaining = Duration.between(now, notAfter);
    Duration d = Duration.ofNanos((long) (Math.max(0, remaining.toNanos()) * 0.7));
    if (d.compareTo(MIN_REFRESH) < 0) {
      return MIN_REFRESH;
    }
    return d.compareTo(MAX_REFRESH) > 0 ? MAX_REFRESH : d;
  }

  /** Replaces the timers of the previous identity with {@code identity}'s. */
  public synchronized void track(X509Identity identity) {
    cancel();
    tracked = identity;
    scheduleRenewal(identity);
    Duration untilWarning = Duration.between(clock.instant(), identity.notAfter().minus(window));
    warning =
        schedule(() -> warn(identity), untilWarning.isNegative() ? Duration.ZERO : untilWarning);
  }

  /** Stops every timer. */
  public synchronized void cancel() {
    tracked = null;
    if (renewal != null) {
      renewal.cancel(false);
      renewal = null;
    }
    if (warning != null) {
      warning.cancel(false);
      warning = null;
    }
  }

  private void scheduleRenewal(X509Identity identity) {
    renewal = schedule(() -> renew(identity), refreshDelay(clock.instant(), identity.notAfter()));
  }

  private void renew(X509Identity identity) {
    boolean again = renew.getAsBoolean();
    synchronized (this) {
      if (again && tracked == identity) {
        scheduleRenewal(identity);
      }
    }
  }

  private void warn(X509Identity identity) {
    synchronized (this) {
      if (tracked != identity) {
        return;
      }
      warning = schedule(() -> warn(identity), interval);
    }
    Duration remaining = Duration.between(clock.instant(), identity.notAfter());
    warn.accept(identity, remaining.isNegative() ? Duration.ZERO : remaining);
  }

  private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
    return scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }
}
