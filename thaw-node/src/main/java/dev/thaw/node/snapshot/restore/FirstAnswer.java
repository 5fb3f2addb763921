package dev.thaw.node.snapshot.restore;

import dev.thaw.node.snapshot.RootImages;
import dev.thaw.node.snapshot.SnapshotMetrics;
import dev.thaw.node.snapshot.fill.LazyFill;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a lazy restore does once its guest has answered the first invocation: counts the bytes
 * fetched until then (memory and root image apart), and lets the rest of the memory file and of a
 * root image still filling follow. The count is taken once, at the first answer; a restore whose
 * guest never answers lets the rest follow after {@link LazyRestore#REST_AFTER} without one.
 */
final class FirstAnswer {
  private static final Logger log = LoggerFactory.getLogger(FirstAnswer.class);

  private final String revision;
  private final LazyFill memory;
  private final Optional<RootImages.Filling> image;
  private final SnapshotMetrics metrics;
  private final AtomicBoolean counted = new AtomicBoolean();

  FirstAnswer(
      String revision,
      LazyFill memory,
      Optional<RootImages.Filling> image,
      SnapshotMetrics metrics) {
    this.revision = revision;
    this.memory = memory;
    this.image = image;
    this.metrics = metrics;
  }

  /** The guest answered (or failed) its first invocation. */
  void answered() {
    if (counted.compareAndSet(false, true)) {
      long memoryBytes = memory.transfer().fetchedBytes();
      long imageBytes = image.map(RootImages.Filling::fetchedBytes).orElse(0L);
      metrics.answeredAfter(memoryBytes, imageBytes);
      log.debug(
          "{} answered after {} bytes of memory and {} bytes of root image fetched",
          revision,
          memoryBytes,
          imageBytes);
    }
    fetchRest();
  }

  /** Lets the rest of the memory file and of the root image follow. */
  void fetchRest() {
    memory.fetchRest();
    image.ifPresent(RootImages.Filling::fetchRest);
  }
}
