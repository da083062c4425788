package dev.meshwork.smi;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Watches the files of one directory and reports, on its own daemon thread, which ones changed
 * content or disappeared. The JDK's {@link WatchService} makes changes visible at once where the
 * platform supports it; a periodic re-scan of sizes and modification times is the safety net where
 * it does not (polling implementations, network file systems, lost events). Events are debounced
 * for {@code settle} so that a file being written in several steps is read once it is quiet.
 *
 * <p>Thread-safe; the listener is always called from the watcher's thread.
 */
final class DirectoryWatcher implements AutoCloseable {

  /** What the watcher reports; called on the watcher's thread only. */
  interface Listener {
    /** Files whose content changed (or that are new), and files that are gone. */
    void changed(Map<Path, byte[]> changed, Set<Path> removed);

    /** The directory cannot be listed; what was read before stays in force. */
    void failed(IOException error);
  }

  private record Stat(long size, long modified, @Nullable Object key) {}

  private final Path directory;
  private final Predicate<Path> filter;
  private final long rescanNanos;
  private final long settleNanos;
  private final Listener listener;
  private final Thread thread;
  private final Map<Path, Stat> stats = new HashMap<>();
  private final Map<Path, byte[]> contents = new HashMap<>();
  private volatile boolean closed;
  private @Nullable WatchService watch;
  private boolean failing;
  private boolean first = true;

  DirectoryWatcher(
      Path directory,
      Predicate<Path> filter,
      Duration rescan,
      Duration settle,
      Listener listener,
      String threadName) {
    this.directory = directory.toAbsolutePath().normalize();
    this.filter = filter;
    this.rescanNanos = rescan.toNanos();
    this.settleNanos = settle.toNanos();
    this.listener = listener;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    WatchService w = watch;
    if (w != null) {
      closeQuietly(w);
    }
  }

  private static void closeQuietly(WatchService w) {
    try {
      w.close();
    } catch (IOException ignored) {
      // Best effort: the thread exits on the flag, and a lost watch is re-created.
    }
  }

  private void run() {
    Set<Path> dirty = new HashSet<>();
    while (!closed) {
      register();
      scan(dirty);
      dirty.clear();
      try {
        awaitChanges(dirty);
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
    }
  }

  private void register() {
    if (watch != null) {
      return;
    }
    try {
      WatchService w = directory.getFileSystem().newWatchService();
      directory.register(
          w,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
      watch = w;
    } catch (IOException | UnsupportedOperationException e) {
      // Re-scanning alone still sees every change, only later; try again on the next round.
      watch = null;
    }
  }

  /** Waits up to one re-scan interval for events, then until they have been quiet for settle. */
  private void awaitChanges(Set<Path> dirty) throws InterruptedException {
    WatchService w = watch;
    if (w == null) {
      TimeUnit.NANOSECONDS.sleep(rescanNanos);
      return;
    }
    WatchKey key = w.poll(rescanNanos, TimeUnit.NANOSECONDS);
    while (key != null) {
      for (WatchEvent<?> event : key.pollEvents()) {
        if (event.context() instanceof Path p) {
          dirty.add(directory.resolve(p));
        }
      }
      if (!key.reset()) {
        // The directory itself went away; register again when it is back.
        watch = null;
        closeQuietly(w);
        return;
      }
      key = w.poll(settleNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void scan(Set<Path> dirty) {
    Map<Path, Stat> seen = new LinkedHashMap<>();
    boolean recovered = failing;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
      for (Path p : files) {
        if (!filter.test(p)) {
          continue;
        }
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          if (a.isRegularFile()) {
            seen.put(p, new Stat(a.size(), a.lastModifiedTime().toMillis(), a.fileKey()));
          }
        } catch (NoSuchFileException e) {
          // Deleted while listing: it is simply not seen.
        }
      }
      failing = false;
    } catch (IOException e) {
      if (!failing) {
        failing = true;
        listener.failed(e);
      }
      return;
    }
    Map<Path, byte[]> changed = new LinkedHashMap<>();
    for (Map.Entry<Path, Stat> e : seen.entrySet()) {
      Path p = e.getKey();
      if (!dirty.contains(p) && e.getValue().equals(stats.get(p))) {
        continue;
      }
      stats.put(p, e.getValue());
      try {
        byte[] bytes = Files.readAllBytes(p);
        if (!Arrays.equals(bytes, contents.get(p))) {
          contents.put(p, bytes);
          changed.put(p, bytes);
        }
      } catch (IOException ex) {
        // Gone or unreadable for now; the next round looks again.
        stats.remove(p);
      }
    }
    Set<Path> removed = new HashSet<>(contents.keySet());
    removed.removeAll(seen.keySet());
    removed.forEach(
        p -> {
          contents.remove(p);
          stats.remove(p);
        });
    // After an outage the listener hears of it even if nothing changed, so it can say so.
    if (!changed.isEmpty() || !removed.isEmpty() || first || recovered) {
      first = false;
      listener.changed(changed, removed);
    }
  }

  @Override
  public String toString() {
    return "DirectoryWatcher{" + directory + "}";
  }

  static boolean isYaml(Path p) {
    String name = Objects.toString(p.getFileName(), "");
    return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
  }
}
