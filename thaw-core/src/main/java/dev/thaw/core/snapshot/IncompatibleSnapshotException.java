package dev.thaw.core.snapshot;

import dev.thaw.core.vmm.VmmIdentity;

/** The snapshot was made by a VMM this host's VMM cannot restore from. */
public class IncompatibleSnapshotException extends SnapshotFormatException {
  public IncompatibleSnapshotException(VmmIdentity maker, VmmIdentity host) {
    super("snapshot made by " + maker + " cannot be restored by " + host, null);
  }
}
