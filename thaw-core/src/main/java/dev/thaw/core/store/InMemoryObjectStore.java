package dev.thaw.core.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * An {@link ObjectStore} in this process's memory: for tests and simulations. Objects are stamped
 * with the time of an injectable {@link Clock}, so code that ages objects can be tested without
 * waiting. Thread-safe; contents are copied in and out, so callers cannot change stored bytes.
 *
 * <p>An {@link Interceptor} sees every operation before it happens and may fail it or hold it,
 * which lets a test inject storage faults or stop a caller at a chosen step.
 */
public final class InMemoryObjectStore implements ObjectStore {
  private record Stored(byte[] content, Instant lastModified) {}

  private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>();
  private final Clock clock;
  private final String description;
  private volatile Interceptor interceptor = (operation, key) -> {};

  /** The kinds of operation an {@link Interceptor} is told of. */
  public enum Operation {
    GET,
    GET_RANGE,
    HEAD,
    PUT,
    LIST,
    DELETE
  }

  /** Sees each operation before it runs; batch deletes are seen one key at a time. */
  @FunctionalInterface
  public interface Interceptor {
    /**
     * @param key the object's key, or the prefix of a listing
     * @throws IOException to fail the operation with it
     */
    void before(Operation operation, String key) throws IOException;
  }

  /** A store on the system clock. */
  public InMemoryObjectStore() {
    this(Clock.systemUTC());
  }

  /** A store that stamps objects with {@code clock}'s time. */
  public InMemoryObjectStore(Clock clock) {
    this(clock, "in-memory object store");
  }

  public InMemoryObjectStore(Clock clock, String description) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.description = Objects.requireNonNull(description, "description");
  }

  /** Replaces the interceptor; {@code (op, key) -> {}} removes it. */
  public void intercept(Interceptor interceptor) {
    this.interceptor = Objects.requireNonNull(interceptor, "interceptor");
  }

  /** The keys stored now, sorted. */
  public List<String> keys() {
    return List.copyOf(objects.keySet());
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    interceptor.before(Operation.GET, key);
    Stored s = objects.get(key);
    return s == null ? Optional.empty() : Optional.of(s.content().clone());
  }

  @Override
  public byte[] getRange(String key, long offset, int length) throws IOException {
    interceptor.before(Operation.GET_RANGE, key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("bad range " + offset + "+" + length + " of " + key);
    }
    Stored s = objects.get(key);
    if (s == null) {
      throw new NoSuchObjectException(key + " is missing from " + description);
    }
    if (offset + length > s.content().length) {
      throw new IOException(
          key + " has " + s.content().length + " bytes, not " + (offset + length) + " or more");
    }
    return Arrays.copyOfRange(s.content(), (int) offset, (int) offset + length);
  }

  @Override
  public Optional<ObjectInfo> head(String key) throws IOException {
    interceptor.before(Operation.HEAD, key);
    Stored s = objects.get(key);
    return s == null ? Optional.empty() : Optional.of(info(key, s));
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    interceptor.before(Operation.PUT, key);
    objects.put(key, new Stored(content.clone(), clock.instant()));
  }

  @Override
  public void put(String key, Path file) throws IOException {
    interceptor.before(Operation.PUT, key);
    objects.put(key, new Stored(Files.readAllBytes(file), clock.instant()));
  }

  @Override
  public List<ObjectInfo> list(String prefix) throws IOException {
    interceptor.before(Operation.LIST, prefix);
    List<ObjectInfo> out = new ArrayList<>();
    for (Map.Entry<String, Stored> e : objects.tailMap(prefix).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      out.add(info(e.getKey(), e.getValue()));
    }
    return out;
  }

  @Override
  public List<String> listFolders(String prefix) throws IOException {
    interceptor.before(Operation.LIST, prefix);
    TreeSet<String> out = new TreeSet<>();
    for (String key : objects.tailMap(prefix).keySet()) {
      if (!key.startsWith(prefix)) {
        break;
      }
      int slash = key.indexOf('/', prefix.length());
      if (slash >= 0) {
        out.add(key.substring(prefix.length(), slash));
      }
    }
    return List.copyOf(out);
  }

  @Override
  public void delete(String key) throws IOException {
    interceptor.before(Operation.DELETE, key);
    objects.remove(key);
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    for (String key : keys) {
      delete(key);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  /** Nothing to release; the objects stay readable. */
  @Override
  public void close() {}

  private static ObjectInfo info(String key, Stored s) {
    return new ObjectInfo(key, s.content().length, s.lastModified());
  }
}
