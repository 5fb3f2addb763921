package dev.thaw.node.snapshot;

/**
 * A clone's {@code afterRestore} hook failed (see {@link SnapshotHooks}): the clone has been
 * stopped, and the cold start that restored it boots instead. The snapshot itself stays: the hook
 * may pass on the next clone.
 */
public final class AfterRestoreFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  AfterRestoreFailedException(SnapshotHooks.Failure failure) {
    super(failure.message());
  }
}
