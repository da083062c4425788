package dev.meshwork.tls;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The thread behind {@link FileIdentitySource}: runs {@code check} at start, after every change in
 * the files' directories (once things have been quiet for {@code settle}), and at least every
 * {@code interval}. Directories that do not exist yet are registered once they do; until then, and
 * without watching, only the interval applies. Thread-safe; {@link #close} stops it.
 */
final class FileWatchLoop implements Runnable {

  private static final System.Logger LOG = System.getLogger(FileWatchLoop.class.getName());

  private final String name;
  private final Set<Path> directories = new LinkedHashSet<>();
  private final long intervalNanos;
  private final long settleNanos;
  private final Runnable check;
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile @Nullable WatchService watcher;

  FileWatchLoop(String name, List<Path> files, Duration interval, Duration settle, Runnable check) {
    this.name = name;
    for (Path f : files) {
      directories.add(f.getParent());
    }
    this.intervalNanos = interval.toNanos();
    this.settleNanos = settle.toNanos();
    this.check = check;
  }

  synchronized void start() {
    Thread t = new Thread(this, "meshwork-" + name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void run() {
    try {
      while (closed.getCount() > 0) {
        runCheck();
        WatchService w = watcher != null ? watcher : register();
        if (w == null) {
          closed.await(intervalNanos, TimeUnit.NANOSECONDS);
          continue;
        }
        WatchKey key = w.poll(intervalNanos, TimeUnit.NANOSECONDS);
        while (key != null) {
          key.pollEvents();
          key.reset();
          key = w.poll(settleNanos, TimeUnit.NANOSECONDS); // wait until the writer is done
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException stopped) {
      // closed
    }
  }

  private void runCheck() {
    try {
      check.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, name + ": reading the identity failed", e);
    }
  }

  /** A watcher over every directory, or null while one is missing (or nothing is watched). */
  private @Nullable WatchService register() {
    if (directories.isEmpty()) {
      return null;
    }
    WatchService w = null;
    try {
      w = FileSystems.getDefault().newWatchService();
      for (Path d : directories) {
        d.register(
            w,
            StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
      }
    } catch (IOException e) {
      closeQuietly(w);
      return null;
    }
    synchronized (this) {
      if (closed.getCount() == 0) {
        closeQuietly(w);
        throw new ClosedWatchServiceException();
      }
      watcher = w;
    }
    return w;
  }

  synchronized void close() {
    closed.countDown();
    closeQuietly(watcher);
  }

  private static void closeQuietly(@Nullable WatchService w) {
    if (w != null) {
      try {
        w.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }
}
