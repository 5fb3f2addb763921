package dev.thaw.core.snapshot;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** Snapshots made up for tests of the modules that store, fetch and cache them. */
public final class SnapshotFixtures {
  /** The VMM the made-up snapshots claim to come from. */
  public static final VmmIdentity HOST = new VmmIdentity("qemu", "7.2.22", "tcg", "microvm");

  private SnapshotFixtures() {}

  /** A manifest of {@code files} for {@code function}, with placeholder guest digests. */
  public static SnapshotManifest manifest(
      String revision, FunctionSpec function, int format, List<SnapshotFile> files) {
    return new SnapshotManifest(
        format,
        revision,
        function,
        HOST,
        new SnapshotManifest.Guest("0".repeat(64), "0".repeat(64)),
        Instant.now(),
        files);
  }

  /**
   * Writes {@code memory} and a small state file ({@code "state of <revision>"}) into {@code dir}
   * and describes both in format 2, in chunks of {@code chunkSize}.
   */
  public static SnapshotManifest chunked(
      Path dir, String revision, FunctionSpec function, byte[] memory, int chunkSize)
      throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("memory"), memory);
    Files.writeString(dir.resolve("state"), "state of " + revision);
    List<SnapshotFile> files =
        List.of(
            chunkedFile(dir, "memory", SnapshotFile.Role.MEMORY, chunkSize),
            chunkedFile(dir, "state", SnapshotFile.Role.STATE, chunkSize));
    return manifest(revision, function, SnapshotManifest.FORMAT_VERSION, files);
  }

  private static SnapshotFile chunkedFile(
      Path dir, String name, SnapshotFile.Role role, int chunkSize) throws IOException {
    Path p = dir.resolve(name);
    return SnapshotFile.chunked(name, role, Files.size(p), Chunker.describe(p, chunkSize));
  }
}
