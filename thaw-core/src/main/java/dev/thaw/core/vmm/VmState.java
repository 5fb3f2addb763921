package dev.thaw.core.vmm;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of one microVM, shared by every VMM driver.
 *
 * <pre>
 *   boot ──▶ RUNNING ──pause──▶ PAUSED ──snapshot──▶ SNAPSHOTTED ──▶ STOPPED
 *               ▲                  │
 *               └─────resume───────┘
 *   restore ──▶ PAUSED ──resume──▶ RUNNING
 *   any state ──stop──▶ STOPPED
 * </pre>
 *
 * A snapshotted VM never runs again: its memory file now belongs to the snapshot, and any guest
 * write would change it under the clones restored from it.
 */
public enum VmState {
  RUNNING,
  PAUSED,
  SNAPSHOTTED,
  STOPPED;

  private Set<VmState> next() {
    return switch (this) {
      case RUNNING -> EnumSet.of(PAUSED, STOPPED);
      case PAUSED -> EnumSet.of(RUNNING, SNAPSHOTTED, STOPPED);
      case SNAPSHOTTED -> EnumSet.of(STOPPED);
      case STOPPED -> EnumSet.noneOf(VmState.class);
    };
  }

  /** Throws {@link IllegalStateException} unless the lifecycle allows going to {@code target}. */
  public void checkTransition(VmState target, String operation) {
    if (!next().contains(target)) {
      throw new IllegalStateException(
          "cannot " + operation + " a VM that is " + name().toLowerCase(java.util.Locale.ROOT));
    }
  }
}
