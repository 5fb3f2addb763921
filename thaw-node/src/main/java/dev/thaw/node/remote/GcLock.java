package dev.thaw.node.remote;

import dev.thaw.core.store.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The garbage-collection lock, {@code _gc.lock}: present while a collection runs. Its age is its
 * object's modification time; a lock at least {@code ttl} old was left by a collection that
 * crashed, and uploads and collections ignore it.
 */
final class GcLock {
  private static final Logger log = LoggerFactory.getLogger(GcLock.class);

  private final ObjectStore objects;
  private final Clock clock;
  private final Duration ttl;
  private final Duration poll;

  /**
   * @param poll how often a waiting upload checks whether the lock is gone
   */
  GcLock(ObjectStore objects, Clock clock, Duration ttl, Duration poll) {
    this.objects = objects;
    this.clock = clock;
    this.ttl = ttl;
    this.poll = poll;
  }

  /** Since when a lock younger than its TTL is held, or empty when none is. */
  Optional<Instant> heldSince() throws IOException {
    Optional<Instant> since =
        objects.head(RemoteKeys.GC_LOCK).map(ObjectStore.ObjectInfo::lastModified);
    if (since.isPresent() && !since.get().plus(ttl).isAfter(clock.instant())) {
      log.warn("ignoring a stale garbage-collection lock from {}", since.get());
      return Optional.empty();
    }
    return since;
  }

  /**
   * Takes the lock.
   *
   * @throws IOException when another collection holds it
   */
  void take() throws IOException {
    Optional<Instant> held = heldSince();
    if (held.isPresent()) {
      throw new IOException(
          "another garbage collection holds "
              + RemoteKeys.GC_LOCK
              + " in "
              + objects.describe()
              + " since "
              + held.get());
    }
    String body = "{\"startedAt\":\"" + clock.instant() + "\"}";
    objects.put(RemoteKeys.GC_LOCK, body.getBytes(StandardCharsets.UTF_8));
  }

  /** Removes the lock; a failure is logged, as the lock then expires by its TTL. */
  void release() {
    try {
      objects.delete(RemoteKeys.GC_LOCK);
    } catch (IOException e) {
      log.warn("cannot remove the garbage-collection lock: {}", e.getMessage());
    }
  }

  /**
   * Blocks while a collection holds the lock.
   *
   * @param waiting told {@code "waiting-for-gc"} at each check that finds the lock held
   */
  void awaitReleased(Consumer<String> waiting) throws IOException {
    while (heldSince().isPresent()) {
      waiting.accept("waiting-for-gc");
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted waiting for garbage collection to finish", e);
      }
    }
  }
}
