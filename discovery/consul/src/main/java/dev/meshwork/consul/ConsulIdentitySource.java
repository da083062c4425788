package dev.meshwork.consul;

import dev.meshwork.ConfigException;
import dev.meshwork.IdentitySource;
import dev.meshwork.RandomSource;
import dev.meshwork.Ticker;
import dev.meshwork.X509Identity;
import dev.meshwork.consul.internal.BlockingWatch;
import dev.meshwork.consul.internal.ConnectCa;
import dev.meshwork.consul.internal.ConsulHttp;
import dev.meshwork.consul.internal.Json;
import dev.meshwork.consul.internal.RawBody;
import dev.meshwork.consul.internal.Reply;
import dev.meshwork.consul.internal.WatchSettings;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * A workload identity from Consul Connect's CA: the service's leaf certificate and key ({@code
 * /v1/agent/connect/ca/leaf/<service>}) and the CA roots ({@code /v1/agent/connect/ca/roots}), both
 * watched with blocking queries. The agent answers the leaf query when a new certificate is due
 * (before expiry, after a root rotation), so every rotation reaches the listener as a new {@link
 * X509Identity}; a failure keeps the last identity in use and is reported through {@link
 * Listener#identityFailed}.
 *
 * <p>Thread-safe; the listener is called from one thread at a time.
 *
 * <pre>{@code
 * IdentitySource identity = ConsulIdentitySource.builder(ConsulAgent.local(), "web").build();
 * identity.start(x509 -> keyManager.use(x509));
 * }</pre>
 */
public final class ConsulIdentitySource implements IdentitySource {

  private final ConsulAgent agent;
  private final String service;
  private final WatchSettings settings;
  private final @Nullable ScheduledExecutorService givenScheduler;
  private final Ticker ticker;
  private final RandomSource random;
  private @Nullable ScheduledExecutorService ownScheduler;
  private @Nullable BlockingWatch<RawBody, ConnectCa.Roots> roots;
  private @Nullable BlockingWatch<RawBody, ConnectCa.Leaf> leaf;
  private ConnectCa.@Nullable Roots lastRoots;
  private ConnectCa.@Nullable Leaf lastLeaf;
  private @Nullable ConsulHttp http;
  private @Nullable Listener listener;

  private ConsulIdentitySource(Builder b) {
    this.agent = b.agent;
    this.service = b.service;
    this.settings = b.settings;
    this.givenScheduler = b.scheduler;
    this.ticker = b.ticker;
    this.random = b.random;
  }

  public static Builder builder(ConsulAgent agent, String service) {
    return new Builder(agent, service);
  }

  @Override
  public String name() {
    return "consul connect " + service + " via " + agent.authority();
  }

  @Override
  public synchronized void start(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    if (roots != null) {
      throw new IllegalStateException(name() + " was already started");
    }
    ScheduledExecutorService scheduler = givenScheduler;
    if (scheduler == null) {
      scheduler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "meshwork-consul-identity");
                t.setDaemon(true);
                return t;
              });
      ownScheduler = scheduler;
    }
    ConsulHttp http = new ConsulHttp(agent, settings);
    this.http = http;
    this.listener = listener;
    String rootsPath = "/v1/agent/connect/ca/roots";
    String leafPath = leafPath();
    roots =
        new BlockingWatch<>(
            "connect roots",
            index -> http.get(rootsPath, Map.of(), index, Set.of()),
            reply -> ConnectCa.parseRoots(Json.parse("consul " + rootsPath, reply.body())),
            handler(listener, r -> lastRoots = r),
            settings,
            scheduler,
            ticker,
            random);
    leaf =
        new BlockingWatch<>(
            "connect leaf " + service,
            index -> http.get(leafPath, Map.of(), index, Set.of()),
            reply -> ConnectCa.parseLeaf(Json.parse("consul " + leafPath, reply.body())),
            handler(listener, l -> lastLeaf = l),
            settings,
            scheduler,
            ticker,
            random);
    roots.start();
    leaf.start();
  }

  private String leafPath() {
    return "/v1/agent/connect/ca/leaf/" + service;
  }

  /**
   * Fetches the leaf certificate now instead of waiting for the blocking query to return: the agent
   * answers with the leaf it holds (it renews leaves itself before they expire), which replaces the
   * one in use if it differs. {@code meshwork-tls} calls this at 70 % of the certificate's
   * lifetime, so a watch stuck in backoff cannot let the identity expire quietly.
   */
  @Override
  public boolean renew() {
    ConsulHttp h;
    Listener l;
    synchronized (this) {
      h = http;
      l = listener;
    }
    if (h == null || l == null) {
      return false;
    }
    String path = leafPath();
    h.get(path, Map.of(), 0, Set.of())
        .whenComplete(
            (reply, error) -> {
              if (error != null) {
                synchronized (this) {
                  l.identityFailed(error);
                }
                return;
              }
              ConnectCa.Leaf leaf;
              try {
                leaf = ConnectCa.parseLeaf(Json.parse("consul " + path, reply.body()));
              } catch (ConfigException e) {
                synchronized (this) {
                  l.identityFailed(e);
                }
                return;
              }
              synchronized (this) {
                if (!leaf.equals(lastLeaf)) {
                  deliver(l, () -> lastLeaf = leaf);
                }
              }
            });
    return true;
  }

  private <T> BlockingWatch.Handler<T> handler(
      Listener listener, java.util.function.Consumer<T> store) {
    return new BlockingWatch.Handler<>() {
      @Override
      public void changed(T value, Reply<?> reply) {
        deliver(listener, () -> store.accept(value));
      }

      @Override
      public void rejected(ConfigException error) {
        synchronized (ConsulIdentitySource.this) {
          listener.identityFailed(error);
        }
      }

      @Override
      public void failed(Throwable error) {
        synchronized (ConsulIdentitySource.this) {
          listener.identityFailed(error);
        }
      }

      @Override
      public void recovered() {}
    };
  }

  private synchronized void deliver(Listener listener, Runnable update) {
    update.run();
    ConnectCa.Roots r = lastRoots;
    ConnectCa.Leaf l = lastLeaf;
    if (r == null || l == null) {
      return;
    }
    X509Identity identity;
    try {
      identity = ConnectCa.identity(l, r);
    } catch (IllegalArgumentException e) {
      listener.identityFailed(e);
      return;
    }
    listener.identityUpdated(identity);
  }

  @Override
  public synchronized void close() {
    if (roots != null) {
      roots.close();
    }
    if (leaf != null) {
      leaf.close();
    }
    if (ownScheduler != null) {
      ownScheduler.shutdownNow();
    }
  }

  /** Not thread-safe. */
  public static final class Builder {
    private final ConsulAgent agent;
    private final String service;
    private WatchSettings settings = WatchSettings.defaults();
    private @Nullable ScheduledExecutorService scheduler;
    private Ticker ticker = Ticker.system();
    private RandomSource random = RandomSource.threadLocal();

    private Builder(ConsulAgent agent, String service) {
      this.agent = Objects.requireNonNull(agent, "agent");
      if (Objects.requireNonNull(service, "service").isEmpty()) {
        throw new IllegalArgumentException("service: \"\" (expected a Consul service name)");
      }
      this.service = service;
    }

    /** How long one blocking query may hang; default 5 minutes. */
    public Builder wait(java.time.Duration wait) {
      settings =
          new WatchSettings(
              wait,
              settings.burst(),
              settings.interval(),
              settings.backoffBase(),
              settings.backoffMax());
      return this;
    }

    /** Timers for backoff and rate limiting; by default the source owns one daemon thread. */
    public Builder scheduler(ScheduledExecutorService scheduler, Ticker ticker) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public Builder random(RandomSource random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public ConsulIdentitySource build() {
      return new ConsulIdentitySource(this);
    }
  }
}
