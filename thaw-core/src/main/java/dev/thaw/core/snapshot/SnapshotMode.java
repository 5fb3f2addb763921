package dev.thaw.core.snapshot;

import java.util.Locale;

/** How a node uses snapshots for cold starts. */
public enum SnapshotMode {
  /** Every cold start boots a fresh VM. */
  DISABLED,
  /** Snapshots are made and restored on this node only. */
  LOCAL,
  /** Snapshots are also uploaded to, and fetched from, remote storage shared by the cluster. */
  REMOTE;

  /** Parses {@code disabled}, {@code local} or {@code remote}, case-insensitively. */
  public static SnapshotMode parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "snapshot mode must be disabled, local or remote: '" + s + "'", e);
    }
  }
}
