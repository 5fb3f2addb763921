package dev.thaw.core.io;

import java.io.IOException;

/**
 * Told of every block a long read has just read, so that it may hold the reader back (a scrub that
 * must not take the disk from restores). It may throw to stop the read, e.g. an {@link
 * java.io.InterruptedIOException} when its thread is interrupted while it waits.
 */
@FunctionalInterface
public interface ReadPacer {
  /** A pacer that never waits. */
  ReadPacer UNPACED = bytes -> {};

  /** {@code bytes} more were just read. */
  void read(long bytes) throws IOException;
}
