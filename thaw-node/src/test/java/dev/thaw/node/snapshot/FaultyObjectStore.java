package dev.thaw.node.snapshot;

import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An object store that passes every call to a real one until told otherwise: {@link Fault#DOWN}
 * makes every read of a snapshot's chunks fail as unreachable storage does, {@link Fault#CORRUPT}
 * returns their bytes damaged (as a bad disk or proxy would), and {@link #afterManifest} runs an
 * action (stopping the storage server, say) right after the next read of a revision's manifest (or
 * of the digest kept of it, which a restore from a peer reads instead) has returned. It records the
 * keys read ({@link #read}).
 */
public final class FaultyObjectStore implements ObjectStore {
  public enum Fault {
    NONE,
    DOWN,
    CORRUPT
  }

  /** What runs after a manifest read. */
  @FunctionalInterface
  public interface Action {
    void run() throws Exception;
  }

  /** An action waiting for the read of {@code revision}'s manifest. */
  private record Armed(String revision, Action action) {}

  private final ObjectStore real;
  private volatile Fault fault = Fault.NONE;
  private volatile Armed armed;

  /** Every key read (get, getDirect, getRange), in no order. */
  public final Set<String> read = ConcurrentHashMap.newKeySet();

  public FaultyObjectStore(ObjectStore real) {
    this.real = real;
  }

  public void set(Fault f) {
    fault = f;
  }

  /**
   * Runs {@code action} once, right after the next read of {@code revision}'s manifest or of its
   * digest.
   */
  public void afterManifest(String revision, Action action) {
    armed = new Armed(revision, action);
  }

  private static boolean chunks(String key) {
    return key.startsWith("_chunks/") || key.endsWith("/_pack") || key.endsWith("/_pages");
  }

  private byte[] damaged(String key, byte[] data) throws IOException {
    if (!chunks(key)) {
      return data;
    }
    return switch (fault) {
      case NONE -> data;
      case DOWN -> throw new IOException("storage unreachable (test): " + key);
      case CORRUPT -> {
        byte[] copy = Arrays.copyOf(data, data.length);
        for (int i = 0; i < copy.length; i += 97) {
          copy[i] ^= 0x5a;
        }
        yield copy;
      }
    };
  }

  private void afterRead(String key) throws IOException {
    Armed a = armed;
    if (a != null
        && key.contains(a.revision())
        && (key.endsWith("/manifest.json") || key.endsWith("/_manifest.sha256"))) {
      armed = null;
      try {
        a.action().run();
      } catch (Exception e) {
        throw new IOException("the action after the manifest failed", e);
      }
    }
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    read.add(key);
    Optional<byte[]> got = real.get(key);
    if (got.isEmpty()) {
      return got;
    }
    afterRead(key);
    return Optional.of(damaged(key, got.get()));
  }

  @Override
  public Optional<ByteBuffer> getDirect(String key) throws IOException {
    read.add(key);
    // Chunks the fault damages come through get; anything else as the real store gives it.
    return fault != Fault.NONE && chunks(key)
        ? ObjectStore.super.getDirect(key)
        : real.getDirect(key);
  }

  @Override
  public byte[] getRange(String key, long offset, int length) throws IOException {
    read.add(key);
    return damaged(key, real.getRange(key, offset, length));
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
    return "faulty " + real.describe();
  }

  @Override
  public void close() {
    real.close();
  }
}
