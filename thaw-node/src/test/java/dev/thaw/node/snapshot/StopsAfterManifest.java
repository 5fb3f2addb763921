package dev.thaw.node.snapshot;

import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An object store that passes every call to a real one and, once {@link #arm armed}, runs an action
 * (stopping the storage server, say) right after the first read of the armed revision's manifest
 * (or of the digest kept of it, which a restore from a peer reads instead) has returned. It records
 * the keys read.
 */
final class StopsAfterManifest implements ObjectStore {
  /** What runs after the manifest read. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  private final ObjectStore real;
  private final Action action;
  private volatile String armed;

  /** Every key read (get, getDirect, getRange), in no order. */
  final Set<String> read = ConcurrentHashMap.newKeySet();

  StopsAfterManifest(ObjectStore real, Action action) {
    this.real = real;
    this.action = action;
  }

  /** Runs the action after the next read of {@code revision}'s manifest. */
  void arm(String revision) {
    armed = revision;
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    read.add(key);
    Optional<byte[]> got = real.get(key);
    String revision = armed;
    if (revision != null
        && key.contains(revision)
        && (key.endsWith("/manifest.json") || key.endsWith("/_manifest.sha256"))
        && got.isPresent()) {
      armed = null;
      try {
        action.run();
      } catch (Exception e) {
        throw new IOException("the action after the manifest failed", e);
      }
    }
    return got;
  }

  @Override
  public Optional<ByteBuffer> getDirect(String key) throws IOException {
    read.add(key);
    return real.getDirect(key);
  }

  @Override
  public byte[] getRange(String key, long offset, int length) throws IOException {
    read.add(key);
    return real.getRange(key, offset, length);
  }

  @Override
  public Optional<ObjectInfo> head(String key) throws IOException {
    return real.head(key);
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    real.put(key, content);
  }

  @Override
  public void put(String key, Path file) throws IOException {
    real.put(key, file);
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    return real.list(prefix);
  }

  @Override
  public List<String> listFolders(String prefix) throws IOException {
    return real.listFolders(prefix);
  }

  @Override
  public void delete(String key) throws IOException {
    real.delete(key);
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    real.delete(keys);
  }

  @Override
  public String describe() {
    return real.describe();
  }

  @Override
  public void close() {
    real.close();
  }
}
