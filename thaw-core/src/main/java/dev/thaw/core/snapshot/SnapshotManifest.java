package dev.thaw.core.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.vmm.VmmIdentity;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The snapshot's "info file": what was snapshotted, by which VMM, and the exact files.
 *
 * <p>On disk and in remote storage it is JSON named {@code manifest.json} (see {@link
 * SnapshotManifestCodec}):
 *
 * <pre>{@code
 * {
 *   "formatVersion": 2,
 *   "revision": "stateful-3f1c9a0b",
 *   "function": {"id": "stateful", "memoryMib": 256, "vcpus": 1, "handler": "stateful", "initMib": 32},
 *   "vmm": {"kind": "qemu", "version": "7.2.22", "accelerator": "tcg", "machine": "microvm"},
 *   "guest": {"kernelSha256": "…", "initrdSha256": "…"},
 *   "createdAt": "2026-11-26T14:00:00Z",
 *   "files": [
 *     {"name": "memory", "role": "MEMORY", "size": 268435456,
 *      "chunks": {"size": 1048576, "sha256": ["…", null, null, "…", …]}},
 *     {"name": "state", "role": "STATE", "size": 57344, "chunks": {"size": 1048576, "sha256": ["…"]}}
 *   ]
 * }
 * }</pre>
 *
 * Format 1 (still read) described each file by one SHA-256 instead of a chunk list. Readers reject
 * other format versions, unknown fields, names that are not plain, and files whose size or digest
 * differ. In remote storage the manifest is written last: its presence means every file it lists is
 * complete.
 *
 * @param formatVersion always {@link #FORMAT_VERSION} for manifests this build writes
 * @param revision the function revision the snapshot belongs to; also its cache key
 * @param function the function and its VM shape (memory, vCPUs)
 * @param vmm the VMM that made the snapshot
 * @param guest digests of the guest kernel and initramfs the VM booted
 * @param createdAt when the snapshot was taken
 * @param files the snapshot's files, names unique
 * @param controlKey the key the snapshotted guest asks of control requests ({@code X-Thaw-Key}),
 *     which its clones keep until each is given its own at resume; "" for a guest given none (and
 *     manifests written before keys). It is as secret as the memory file, which holds it too.
 * @param rootImageReads for a function from an image: the chunks of its root image (of {@link
 *     #ROOT_IMAGE_CHUNK_SIZE}, by index) the snapshot's first clone read, in first-read order,
 *     which a node lacking the image fetches first; empty for none (a built-in function, a snapshot
 *     made without a file server, manifests written before). Written only when not empty, so that
 *     other manifests read as before.
 */
public record SnapshotManifest(
    int formatVersion,
    String revision,
    FunctionSpec function,
    VmmIdentity vmm,
    Guest guest,
    Instant createdAt,
    List<SnapshotFile> files,
    String controlKey,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Integer> rootImageReads) {
  public static final int FORMAT_VERSION = 2;

  /** The format of manifests that describe each file by one whole-file SHA-256. */
  public static final int WHOLE_FILE_FORMAT = 1;

  /** The versions this build reads, as error messages name them. */
  static final String READABLE_VERSIONS = WHOLE_FILE_FORMAT + " and " + FORMAT_VERSION;

  public static final String FILE_NAME = "manifest.json";

  /** The chunk size of root images in remote storage, the unit of {@link #rootImageReads}. */
  public static final int ROOT_IMAGE_CHUNK_SIZE = 64 << 10;

  /** The guest image a snapshot's VM booted: restoring needs the same one. */
  public record Guest(String kernelSha256, String initrdSha256) {
    public Guest {
      Objects.requireNonNull(kernelSha256, "kernelSha256");
      Objects.requireNonNull(initrdSha256, "initrdSha256");
    }
  }

  /** A manifest of a guest given no control key. */
  public SnapshotManifest(
      int formatVersion,
      String revision,
      FunctionSpec function,
      VmmIdentity vmm,
      Guest guest,
      Instant createdAt,
      List<SnapshotFile> files) {
    this(formatVersion, revision, function, vmm, guest, createdAt, files, "");
  }

  /** A manifest without root-image reads. */
  public SnapshotManifest(
      int formatVersion,
      String revision,
      FunctionSpec function,
      VmmIdentity vmm,
      Guest guest,
      Instant createdAt,
      List<SnapshotFile> files,
      String controlKey) {
    this(formatVersion, revision, function, vmm, guest, createdAt, files, controlKey, List.of());
  }

  public SnapshotManifest {
    controlKey = controlKey == null ? "" : controlKey;
    rootImageReads = rootImageReads == null ? List.of() : List.copyOf(rootImageReads);
    for (int i : rootImageReads) {
      if (i < 0) {
        throw new MalformedManifestException("a root-image chunk index is negative: " + i, null);
      }
    }
    Objects.requireNonNull(revision, "revision");
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(vmm, "vmm");
    Objects.requireNonNull(guest, "guest");
    Objects.requireNonNull(createdAt, "createdAt");
    files = List.copyOf(Objects.requireNonNull(files, "files"));
    if (!Revision.isValid(revision)) {
      throw new MalformedManifestException(
          "revision is not a valid name: '" + revision + "'", null);
    }
    if (formatVersion != FORMAT_VERSION && formatVersion != WHOLE_FILE_FORMAT) {
      throw new UnsupportedFormatVersionException(formatVersion, READABLE_VERSIONS);
    }
    var names = new HashSet<String>();
    for (SnapshotFile f : files) {
      if ((f.chunks() != null) != (formatVersion == FORMAT_VERSION)) {
        throw new MalformedManifestException(
            f.name()
                + (formatVersion == FORMAT_VERSION
                    ? " has no chunk list (format 2 needs one)"
                    : " has a chunk list (format 1 has none)"),
            null);
      }
      if (!names.add(f.name())) {
        throw new MalformedManifestException("file listed twice: " + f.name(), null);
      }
    }
  }

  /** Whether the files are described by chunk lists (format 2). */
  public boolean chunked() {
    return formatVersion == FORMAT_VERSION;
  }

  /**
   * This manifest with the working set of its (chunked) memory file: the chunks its first clone
   * read, in first-read order, and the pages it read ({@code pages} may be null).
   */
  public SnapshotManifest withWorkingSet(List<Integer> firstTouch, WorkingPages pages) {
    return new SnapshotManifest(
        formatVersion,
        revision,
        function,
        vmm,
        guest,
        createdAt,
        files.stream()
            .map(
                f ->
                    f.role() == SnapshotFile.Role.MEMORY && f.chunks() != null
                        ? SnapshotFile.chunked(
                            f.name(),
                            f.role(),
                            f.size(),
                            f.chunks().withWorkingSet(firstTouch, pages))
                        : f)
            .toList(),
        controlKey,
        rootImageReads);
  }

  /**
   * This manifest with {@code reads}, the root-image chunks its first clone read, in first-read
   * order.
   */
  public SnapshotManifest withRootImageReads(List<Integer> reads) {
    return new SnapshotManifest(
        formatVersion, revision, function, vmm, guest, createdAt, files, controlKey, reads);
  }

  /** This manifest in format 1, with {@code sha256} giving each file's whole-content digest. */
  public SnapshotManifest asWholeFiles(java.util.function.Function<SnapshotFile, String> sha256) {
    return new SnapshotManifest(
        WHOLE_FILE_FORMAT,
        revision,
        function,
        vmm,
        guest,
        createdAt,
        files.stream()
            .map(f -> SnapshotFile.whole(f.name(), f.role(), f.size(), sha256.apply(f)))
            .toList(),
        controlKey,
        rootImageReads);
  }

  /**
   * The distinct non-zero chunks of all files, by SHA-256, with their lengths, in file order (empty
   * in format 1).
   */
  public java.util.Map<String, Integer> chunks() {
    java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
    for (SnapshotFile f : files) {
      if (f.chunks() == null) {
        continue;
      }
      List<String> digests = f.chunks().sha256();
      for (int i = 0; i < digests.size(); i++) {
        if (digests.get(i) != null) {
          out.putIfAbsent(digests.get(i), f.chunks().length(i, f.size()));
        }
      }
    }
    return out;
  }

  /** The first file with {@code role}, if any. */
  public Optional<SnapshotFile> file(SnapshotFile.Role role) {
    return files.stream().filter(f -> f.role() == role).findFirst();
  }

  /** Sum of the listed files' sizes: what the snapshot occupies in a cache. */
  public long totalBytes() {
    return files.stream().mapToLong(SnapshotFile::size).sum();
  }
}
