package dev.thaw.node.snapshot.restore;

import java.time.Duration;

/** What became of a fetch ahead of a predicted cold start. */
public sealed interface Prefetch permits Prefetch.Fetched, Prefetch.Skipped {

  /** The snapshot is now a committed cache entry; {@code bytes} came over the network. */
  record Fetched(long bytes, Duration took) implements Prefetch {}

  /** Nothing was fetched, and why (cached already, not stored, no room, a fetch running). */
  record Skipped(String why) implements Prefetch {}
}
