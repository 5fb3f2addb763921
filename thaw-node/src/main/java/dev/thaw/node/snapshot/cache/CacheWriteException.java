package dev.thaw.node.snapshot.cache;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A snapshot could not be written into this node's cache — its disk is full, say. Unlike the other
 * {@link IOException}s of a fetch, the node is at fault, not remote storage.
 */
public final class CacheWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * @param doing what failed, "create" or "write"
   * @param file the file it failed on
   */
  public CacheWriteException(String doing, Path file, IOException cause) {
    super("cannot " + doing + " " + file + ": " + cause.getMessage(), cause);
  }
}
