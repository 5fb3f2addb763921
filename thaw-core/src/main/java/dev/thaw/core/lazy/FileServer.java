package dev.thaw.core.lazy;

import java.nio.file.Path;
import java.util.List;

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

  /**
   * Starts reading the given {@code [offset, offset + length)} ranges of the served file {@code
   * name} into the kernel's page cache, so that a VMM mapping it finds those pages there instead of
   * asking the server for each page it touches; returns at once. The ranges must be readable
   * without waiting long (their bytes are there). Does nothing by default.
   *
   * @throws java.io.IOException when the file cannot be opened or the kernel refuses the advice
   */
  default void readAhead(String name, List<long[]> ranges) throws java.io.IOException {}

  /**
   * Puts {@code data} into the kernel's page cache as the bytes of the served file {@code name} at
   * {@code offset}, where a VMM mapping the file finds them without a request to the server and
   * without this process reading them back; only whole pages are kept ({@code offset} and the
   * length a multiple of 4 KiB). The bytes must be those the file holds there. Returns false, doing
   * nothing, when this server cannot (the caller reads ahead instead), which is the default.
   *
   * @throws java.io.IOException when the kernel refuses the data
   */
  default boolean store(String name, long offset, java.nio.ByteBuffer data)
      throws java.io.IOException {
    return false;
  }

  /** Stops serving {@code name} to new opens; nothing when it is not served. */
  void withdraw(String name);

  /** Unmounts; reads by processes that still map a file fail from then on. */
  @Override
  void close();
}
