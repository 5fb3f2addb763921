package dev.thaw.core.lazy;

import java.nio.file.Path;

/**
 * Serves {@link ServedFile}s as paths of a node-local mount: a VMM maps a snapshot's memory file
 * from one while its chunks are still arriving. One adapter exists, on FUSE ({@code thaw-fuse}).
 */
public interface FileServer extends AutoCloseable {
  /**
   * Serves {@code file} under {@code name} (letters, digits, dots, dashes, underscores) until
   * {@link #withdraw}; a process that has it open or mapped keeps reading it after that.
   *
   * @return the path to open
   * @throws IllegalArgumentException when the name is taken or not a plain file name
   */
  Path publish(String name, ServedFile file);

  /** Stops serving {@code name} to new opens; nothing when it is not served. */
  void withdraw(String name);

  /** Unmounts; reads by processes that still map a file fail from then on. */
  @Override
  void close();
}
