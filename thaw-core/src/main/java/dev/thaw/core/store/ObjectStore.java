package dev.thaw.core.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A flat namespace of immutable objects named by keys, as S3 and its kind offer: the storage that
 * the remote-snapshot protocol is written against. Keys are relative to wherever the store is
 * rooted (a bucket and key prefix, say); {@code /} has no meaning except to {@link #listFolders}.
 *
 * <p>Each write replaces the whole object at once: a reader sees the old content or the new, never
 * a mix. Implementations are thread-safe. Every method throws {@link IOException} when the storage
 * cannot be reached or refuses the request, with a message naming the store ({@link #describe()}).
 */
public interface ObjectStore extends AutoCloseable {
  /** The whole content of {@code key}, or empty when there is no such object. */
  Optional<byte[]> get(String key) throws IOException;

  /**
   * Like {@link #get}, into a direct buffer (off the Java heap, from position 0 to its limit): for
   * objects of megabytes read on a latency-sensitive path, which on the heap would be humongous
   * objects for the garbage collector. By default a copy of {@link #get}'s array.
   */
  default Optional<java.nio.ByteBuffer> getDirect(String key) throws IOException {
    return get(key).map(b -> java.nio.ByteBuffer.allocateDirect(b.length).put(b).flip());
  }

  /**
   * {@code length} bytes of {@code key} starting at {@code offset}.
   *
   * @throws NoSuchObjectException when there is no such object
   * @throws IOException when the object ends before {@code offset + length}
   */
  byte[] getRange(String key, long offset, int length) throws IOException;

  /** The size and modification time of {@code key}, or empty when there is no such object. */
  Optional<ObjectInfo> head(String key) throws IOException;

  /** Creates or replaces {@code key} with {@code content}. */
  void put(String key, byte[] content) throws IOException;

  /** Creates or replaces {@code key} with the content of {@code file}, streamed. */
  void put(String key, Path file) throws IOException;

  /** Every object whose key starts with {@code prefix}, sorted by key. */
  List<ObjectInfo> list(String prefix) throws IOException;

  /**
   * The distinct names {@code n} such that some key starts with {@code prefix + n + "/"}, sorted:
   * the "folders" directly below {@code prefix} (S3's common prefixes), without listing what they
   * hold.
   */
  List<String> listFolders(String prefix) throws IOException;

  /** Deletes {@code key}; deleting an absent object is not an error. */
  void delete(String key) throws IOException;

  /** Deletes every key of {@code keys}, in as few requests as the storage allows. */
  void delete(Collection<String> keys) throws IOException;

  /** Where the objects live, for messages and logs: never includes credentials. */
  String describe();

  /** Releases connections and threads; the store is unusable afterwards. */
  @Override
  void close();

  /**
   * What a listing or {@link #head} tells of one object.
   *
   * @param key its key, relative to the store
   * @param size its length in bytes
   * @param lastModified when it was last written, by the storage's clock
   */
  record ObjectInfo(String key, long size, java.time.Instant lastModified) {}
}
