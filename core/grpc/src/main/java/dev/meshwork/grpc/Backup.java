package dev.meshwork.grpc;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * The hedged backup of an RPC's first attempt (see {@link dev.meshwork.MeshCall#startBackup()}):
 * the timer that sends it, then its ticket and its call on the next channel while it races the
 * original. Exists only for RPCs the mesh may hedge; dropped once one attempt wins. Guarded by the
 * RPC's {@link MeshClientCall} monitor.
 */
final class Backup<ReqT, RespT> {

  @Nullable Future<?> timer;
  @Nullable AttemptTicket ticket;
  @Nullable ClientCall<ReqT, RespT> delegate;

  /** The backup's response headers, held until it commits. */
  @Nullable Metadata heldHeaders;
}
