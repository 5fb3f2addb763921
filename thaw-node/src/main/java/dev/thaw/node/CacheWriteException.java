package dev.thaw.node;

import java.io.IOException;

/**
 * A snapshot could not be written into this node's cache — its disk is full, say. Unlike the other
 * {@link IOException}s of a fetch, the node is at fault, not remote storage.
 */
public final class CacheWriteException extends IOException {
  private static final long serialVersionUID = 1L;

  public CacheWriteException(String message, IOException cause) {
    super(message, cause);
  }
}
