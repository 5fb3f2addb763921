package dev.thaw.node.snapshot.cache;

import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.VmSnapshot;
import java.nio.file.Path;

/**
 * A complete snapshot in a directory, pinned until closed: while open it is never evicted or
 * deleted. Close it once the VMM has opened its files (a mapped file outlives its deletion).
 */
public final class CachedSnapshot implements AutoCloseable {
  private final SnapshotManifest manifest;
  private final Path dir;
  private final Runnable release;
  private boolean closed;

  /** The snapshot {@code manifest} describes, in {@code dir}; closing it runs {@code release}. */
  public CachedSnapshot(SnapshotManifest manifest, Path dir, Runnable release) {
    this.manifest = manifest;
    this.dir = dir;
    this.release = release;
  }

  public Path dir() {
    return dir;
  }

  public SnapshotManifest manifest() {
    return manifest;
  }

  public String revision() {
    return manifest.revision();
  }

  /** The files as the VMM reads them. */
  public VmSnapshot vmSnapshot() {
    return new VmSnapshot(
        manifest.function(),
        manifest.vmm(),
        dir.resolve(name(SnapshotFile.Role.MEMORY)),
        dir.resolve(name(SnapshotFile.Role.STATE)),
        manifest.file(SnapshotFile.Role.DISK).map(f -> dir.resolve(f.name())).orElse(null),
        manifest.controlKey());
  }

  private String name(SnapshotFile.Role role) {
    return manifest
        .file(role)
        .orElseThrow(() -> new IllegalStateException("snapshot has no " + role + " file"))
        .name();
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      release.run();
    }
  }
}
