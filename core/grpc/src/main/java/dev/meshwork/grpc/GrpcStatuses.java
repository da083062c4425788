package dev.meshwork.grpc;

import dev.meshwork.DeadlineExceededException;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshException;
import dev.meshwork.RetryDecision;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/** The status an application sees for the mesh's own decisions (DESIGN section 6). */
final class GrpcStatuses {

  private GrpcStatuses() {}

  /** The status for a failure the mesh raised before anything was sent. */
  static Status of(MeshException e) {
    Status base =
        e instanceof DeadlineExceededException ? Status.DEADLINE_EXCEEDED : Status.UNAVAILABLE;
    return base.withDescription(e.getMessage());
  }

  /**
   * The call's final status: the last attempt's, unless retries stopped for a reason the caller
   * should read (budget, attempts, safety), which is appended; a deadline that left no room for
   * another attempt is {@code DEADLINE_EXCEEDED}.
   */
  static Status finalStatus(@Nullable RetryDecision d, Status last, MeshCall call) {
    if (d == null || d == RetryDecision.COMPLETE || d == RetryDecision.RETRY) {
      return last;
    }
    String why = call.describe(d);
    if (d == RetryDecision.DEADLINE_EXCEEDED) {
      return Status.DEADLINE_EXCEEDED.withDescription(why).withCause(last.getCause());
    }
    String description = last.getDescription();
    return last.withDescription(description == null ? why : description + "; " + why);
  }
}
