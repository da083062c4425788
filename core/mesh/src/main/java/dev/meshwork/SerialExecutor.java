package dev.meshwork;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in submission order, on whichever thread submits while no other is
 * draining (grpc-java's SynchronizationContext idea). The mesh's control plane runs on it, so
 * snapshot building needs no lock and no thread of its own, and tests run it inline.
 */
final class SerialExecutor implements Executor {

  private static final System.Logger LOG = System.getLogger(Mesh.class.getName());

  private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();

  @Override
  public void execute(Runnable task) {
    queue.add(task);
    drain();
  }

  private void drain() {
    do {
      if (!draining.compareAndSet(false, true)) {
        return;
      }
      try {
        Runnable task;
        while ((task = queue.poll()) != null) {
          try {
            task.run();
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "mesh control task failed", e);
          }
        }
      } finally {
        draining.set(false);
      }
    } while (!queue.isEmpty());
  }
}
