package dev.thaw.node.snapshot.cache;

import dev.thaw.core.concurrent.DaemonThreads;
import dev.thaw.core.snapshot.SnapshotFormatException;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks entries found in the cache at start against what their manifests promise — every chunk's
 * or whole file's SHA-256 — before any of them is served: in the background, one entry after the
 * other, and at once for an entry a restore asks for before the background got to it. (At start the
 * cache checks only what is cheap: that the manifest is readable, names the entry's own revision,
 * and lists files of the right sizes.) Entries committed by this process were checked as they were
 * written. An entry that passes is fingerprinted ({@link EntryFingerprint}, taken before the hash
 * so that a write during it shows later); one found changed later is marked {@link #failed} here
 * too.
 */
final class EntryVerifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EntryVerifier.class);

  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final java.util.Map<String, String> bad = new ConcurrentHashMap<>();

  /** One check per entry at a time: a restore asking for an entry waits for the background's. */
  private final java.util.Map<String, Object> locks = new ConcurrentHashMap<>();

  private final ExecutorService background =
      Executors.newSingleThreadExecutor(DaemonThreads.named("thaw-cache-verifier"));
  private final Timer timer;
  private final BiConsumer<String, EntryFingerprint> sound;

  /**
   * @param sound told of each entry that passed its check, with its files' fingerprint as they were
   *     before the check read them
   */
  EntryVerifier(MeterRegistry meters, BiConsumer<String, EntryFingerprint> sound) {
    this.timer = meters.timer("thaw.snapshot.cache.verify");
    this.sound = sound;
  }

  /** An entry found at start: to be checked before it is served. */
  void found(String revision) {
    pending.add(revision);
  }

  /** Whether {@code revision} still awaits its check, or failed it (and is not dropped yet). */
  boolean pending(String revision) {
    return pending.contains(revision) || bad.containsKey(revision);
  }

  /**
   * The entry of {@code revision} was found not to match what was verified: it is not served (nor
   * lends chunks) until it is dropped.
   */
  void failed(String revision, String why) {
    bad.put(revision, why);
  }

  /** The entry of {@code revision} is gone from the cache: forget what was known of it. */
  void forget(String revision) {
    pending.remove(revision);
    bad.remove(revision);
    locks.remove(revision);
  }

  /**
   * Checks {@code revision}'s files now unless done already (at most once per entry, whichever
   * caller comes first; a second caller waits for the first).
   *
   * @return empty when it is sound (or was checked before); else why it is not
   */
  java.util.Optional<String> check(String revision, SnapshotManifest manifest, Path dir) {
    synchronized (locks.computeIfAbsent(revision, r -> new Object())) {
      String known = bad.get(revision);
      if (known != null) {
        return java.util.Optional.of(known);
      }
      if (!pending.contains(revision)) {
        return java.util.Optional.empty();
      }
      long t0 = System.nanoTime();
      try {
        EntryFingerprint seen = EntryFingerprint.take(manifest, dir);
        SnapshotManifestCodec.verifyFiles(manifest, dir);
        sound.accept(revision, seen);
        return java.util.Optional.empty();
      } catch (IOException | SnapshotFormatException e) {
        bad.put(revision, e.getMessage());
        return java.util.Optional.of(e.getMessage());
      } finally {
        pending.remove(revision);
        timer.record(java.time.Duration.ofNanos(System.nanoTime() - t0));
      }
    }
  }

  /** Runs {@code task} for each pending entry in the background, in the given order. */
  void inBackground(Iterable<String> revisions, java.util.function.Consumer<String> task) {
    for (String r : revisions) {
      background.execute(
          () -> {
            if (pending.contains(r)) {
              try {
                task.accept(r);
              } catch (RuntimeException e) {
                log.warn("checking cache entry {} failed: {}", r, e.getMessage());
              }
            }
          });
    }
  }

  @Override
  public void close() {
    background.shutdownNow();
  }
}
