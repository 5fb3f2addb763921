package dev.thaw.node.snapshot;

import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * An object store that passes every call to a real one until told to fail: {@link Fault#DOWN} makes
 * every read of a snapshot's chunks fail as unreachable storage does, {@link Fault#CORRUPT} returns
 * their bytes damaged (as a bad disk or proxy would).
 */
public final class FaultyObjectStore implements ObjectStore {
  public enum Fault {
    NONE,
    DOWN,
    CORRUPT
  }

  private final ObjectStore real;
  private volatile Fault fault = Fault.NONE;

  public FaultyObjectStore(ObjectStore real) {
    this.real = real;
  }

  public void set(Fault f) {
    fault = f;
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

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    Optional<byte[]> got = real.get(key);
    return got.isEmpty() ? got : Optional.of(damaged(key, got.get()));
  }

  @Override
  public byte[] getRange(String key, long offset, int length) throws IOException {
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
