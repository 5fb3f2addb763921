package dev.thaw.node.snapshot.fill;

import java.io.IOException;
import java.util.List;

/**
 * Somewhere a fill gets chunks from: a local cache entry that holds them, the remote store. A fill
 * asks its sources in turn, each for the chunks the ones before it did not have, so that a new
 * source (another node's cache, say) is one more implementation placed before the store.
 *
 * <p>A source hands over only verified bytes: a chunk's content matches its SHA-256 name.
 */
interface ChunkSource extends AutoCloseable {

  /** Takes the chunks a source supplies. */
  @FunctionalInterface
  interface Sink {
    /**
     * Takes chunk {@code sha256}: its bytes are the first {@code data.length} or fewer of {@code
     * data} (the manifest gives the length), valid only during the call.
     */
    void put(String sha256, byte[] data) throws IOException;
  }

  /**
   * Puts each of {@code wanted} that this source has into {@code sink}, before returning.
   *
   * @return the chunks of {@code wanted} it does not have, in their order
   * @throws IOException when a chunk it has cannot be read or fetched
   */
  List<String> supply(List<String> wanted, Sink sink) throws IOException;

  @Override
  void close();
}
