package dev.thaw.core.snapshot;

import java.util.List;
import java.util.Objects;

/**
 * Where the chunks of one revision lie in its pack: a read-optimised copy of every distinct
 * non-zero chunk of the snapshot, one stored (compressed) chunk after another in file order, so
 * that a node fetching many chunks reads a few byte ranges instead of making one request per chunk.
 * The content-addressed chunk objects stay the storage of record: a pack is optional, deleted with
 * its revision, and any chunk whose copy in the pack fails its check is fetched from its own
 * object.
 *
 * <p>Each entry also names the SHA-256 of its stored (compressed) bytes, so a reader checks the few
 * bytes it received instead of hashing the several times larger decoded content: for a guest memory
 * chunk that is a quarter of the work or less.
 *
 * @param entries one per chunk, sorted by offset
 */
public record PackIndex(List<Entry> entries) {
  public PackIndex {
    entries = List.copyOf(Objects.requireNonNull(entries, "entries"));
  }

  /**
   * One stored chunk in the pack.
   *
   * @param sha256 the chunk's name
   * @param offset where its stored bytes start in the pack
   * @param length how many stored bytes it has
   * @param stored the SHA-256 of those stored bytes; null in packs written before it was recorded,
   *     whose chunks are checked by content
   */
  public record Entry(String sha256, long offset, int length, String stored) {
    public Entry {
      Objects.requireNonNull(sha256, "sha256");
      if (offset < 0 || length < 0) {
        throw new MalformedManifestException(
            "pack entry out of range: " + offset + "+" + length, null);
      }
    }

    public long end() {
      return offset + length;
    }
  }
}
