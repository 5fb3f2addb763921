package dev.thaw.node.snapshot.make;

import dev.thaw.core.lazy.FileServer;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.VmSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root image of a new snapshot's verifying clone served through a {@link TouchRecorder}: the
 * chunks of the image the clone reads until it has answered, in first-read order, are what a node
 * lacking the image fetches first ({@link SnapshotManifest#rootImageReads}). Nothing for a function
 * without an image, or when the image cannot be served (the clone then reads it as a plain file).
 */
final class RootImageRecording implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RootImageRecording.class);
  private static final RootImageRecording NONE = new RootImageRecording(null, null, null, null);

  private final FileServer files;
  private final String name;
  private final Path path;
  private final TouchRecorder recorder;

  private RootImageRecording(FileServer files, String name, Path path, TouchRecorder recorder) {
    this.files = files;
    this.name = name;
    this.path = path;
    this.recorder = recorder;
  }

  /**
   * Serves the root image of {@code snapshot}'s function, if it has one, as {@code base}'s root
   * image through {@code files}.
   */
  static RootImageRecording start(FileServer files, VmSnapshot snapshot, String base) {
    if (!snapshot.function().fromImage()
        || !Files.isRegularFile(snapshot.function().image().rootfs())) {
      return NONE;
    }
    String name = base + ".rootfs";
    TouchRecorder recorder = null;
    try {
      recorder =
          new TouchRecorder(
              snapshot.function().image().rootfs(), SnapshotManifest.ROOT_IMAGE_CHUNK_SIZE);
      return new RootImageRecording(files, name, files.publish(name, recorder), recorder);
    } catch (IOException | RuntimeException e) {
      log.warn("root-image reads of {} not recorded: {}", base, e.getMessage());
      if (recorder != null) {
        recorder.close();
      }
      return NONE;
    }
  }

  /** {@code snapshot} with its function's root image read through the recorder. */
  VmSnapshot servedAt(VmSnapshot snapshot) {
    return path == null
        ? snapshot
        : snapshot.withFunction(snapshot.function().withRootfs(path.toAbsolutePath()));
  }

  /** Stops recording; the chunks read so far, in first-read order. */
  List<Integer> stop() {
    return Optional.ofNullable(recorder).map(r -> r.stop().chunks()).orElse(List.of());
  }

  /** Stops serving it to new opens; the clone keeps reading it. */
  void withdraw() {
    if (name != null) {
      files.withdraw(name);
    }
  }

  /** Closes the image: the clone reading it has stopped. */
  @Override
  public void close() {
    if (recorder != null) {
      recorder.close();
    }
  }
}
