package dev.thaw.core.lazy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A read-only file whose bytes are produced on demand, say from chunks that are still arriving: a
 * read waits until its bytes are there. A {@link FileServer} makes it a path that any process can
 * open, read and map like a plain file.
 */
public interface ServedFile {
  /** The file's size in bytes; it never changes. */
  long size();

  /**
   * Fills {@code into} from its position to its limit with the bytes at {@code offset}, stopping
   * early only at the end of the file.
   *
   * @return the number of bytes read
   * @throws IOException when the bytes cannot be had (storage failed, a chunk was corrupt): the
   *     reading process gets an I/O error, it never waits forever
   */
  int read(long offset, ByteBuffer into) throws IOException;
}
