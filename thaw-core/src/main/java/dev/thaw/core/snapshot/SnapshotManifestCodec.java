package dev.thaw.core.snapshot;

import dev.thaw.core.io.Digests;
import dev.thaw.core.io.ReadPacer;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Reads, writes and checks {@link SnapshotManifest}s. Every refusal has its own type. */
public final class SnapshotManifestCodec {
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .build();

  private SnapshotManifestCodec() {}

  public static String write(SnapshotManifest manifest) {
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest);
  }

  /**
   * Parses a manifest and checks that {@code host} can restore it.
   *
   * @throws UnsupportedFormatVersionException for another {@code formatVersion}
   * @throws MalformedManifestException for bad JSON, missing or unknown fields
   * @throws UnsafeFileNameException for a file name that is not plain
   * @throws IncompatibleSnapshotException when {@code host} cannot restore the VMM's snapshots
   */
  public static SnapshotManifest read(String json, VmmIdentity host) {
    SnapshotManifest manifest = parse(json);
    if (!host.canRestore(manifest.vmm())) {
      throw new IncompatibleSnapshotException(manifest.vmm(), host);
    }
    return manifest;
  }

  /** Parses a manifest without the host check (for listing and garbage collection). */
  public static SnapshotManifest parse(String json) {
    JsonNode tree;
    try {
      tree = JSON.readTree(json);
    } catch (JacksonException e) {
      throw new MalformedManifestException("manifest is not JSON: " + e.getOriginalMessage(), e);
    }
    JsonNode version = tree == null ? null : tree.get("formatVersion");
    if (version == null || !version.isInt()) {
      throw new MalformedManifestException("manifest has no integer formatVersion", null);
    }
    if (version.asInt() != SnapshotManifest.FORMAT_VERSION
        && version.asInt() != SnapshotManifest.WHOLE_FILE_FORMAT) {
      throw new UnsupportedFormatVersionException(
          version.asInt(), SnapshotManifest.READABLE_VERSIONS);
    }
    // Each format leaves out the other's description of a file's content.
    if (tree.get("files") instanceof ArrayNode files) {
      for (JsonNode f : files) {
        if (f instanceof ObjectNode o) {
          for (String optional : List.of("sha256", "chunks")) {
            if (!o.has(optional)) {
              o.putNull(optional);
            }
          }
          if (o.get("chunks") instanceof ObjectNode c) {
            if (!c.has("firstTouch")) {
              c.putArray("firstTouch");
            }
            if (!c.has("pages")) {
              c.putNull("pages");
            }
          }
        }
      }
    }
    // Manifests written before guests had control keys have none.
    if (tree instanceof ObjectNode root && !root.has("controlKey")) {
      root.put("controlKey", "");
    }
    // Snapshots of no image (or with no recorded reads) leave their root-image reads out.
    if (tree instanceof ObjectNode root && !root.has("rootImageReads")) {
      root.putArray("rootImageReads");
    }
    // Built-in functions have no image, functions without egress no rules, and functions with the
    // default timeout none (nor do manifests written before functions had one): specs leave them
    // out.
    if (tree.get("function") instanceof ObjectNode function) {
      if (!function.has("image")) {
        function.putNull("image");
      }
      if (!function.has("egress")) {
        function.putArray("egress");
      }
      if (!function.has("timeoutSeconds")) {
        function.put("timeoutSeconds", 0);
      }
      // Functions without snapshot hooks leave them out too (and manifests from before hooks).
      if (function.get("image") instanceof ObjectNode image && !image.has("hooks")) {
        image.putNull("hooks");
      }
    }
    try {
      return JSON.treeToValue(tree, SnapshotManifest.class);
    } catch (JacksonException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof SnapshotFormatException known) {
          throw known;
        }
      }
      throw new MalformedManifestException("invalid manifest: " + e.getOriginalMessage(), e);
    }
  }

  /** Reads {@code dir/manifest.json}; see {@link #read(String, VmmIdentity)}. */
  public static SnapshotManifest readFrom(Path dir, VmmIdentity host) throws IOException {
    return read(Files.readString(dir.resolve(SnapshotManifest.FILE_NAME)), host);
  }

  /**
   * Checks every listed file in {@code dir}: present, of the listed size, with the listed content
   * (whole-file SHA-256 in format 1, every chunk's in format 2). Sizes are checked first, so a
   * truncated file is refused without hashing it.
   *
   * @throws SnapshotMismatchException naming the first file that differs
   */
  public static void verifyFiles(SnapshotManifest manifest, Path dir) throws IOException {
    verifyFiles(manifest, dir, ReadPacer.UNPACED);
  }

  /**
   * Like {@link #verifyFiles(SnapshotManifest, Path)}, telling {@code pacer} of every block read (a
   * background check paces itself so).
   */
  public static void verifyFiles(SnapshotManifest manifest, Path dir, ReadPacer pacer)
      throws IOException {
    verifySizes(manifest, dir);
    for (SnapshotFile f : manifest.files()) {
      if (f.chunks() != null) {
        Chunker.verify(dir, f, pacer);
        continue;
      }
      String actual = Digests.sha256(dir.resolve(f.name()), pacer);
      if (!actual.equals(f.sha256())) {
        throw new SnapshotMismatchException(
            f.name() + " has sha256 " + actual + "; the manifest says " + f.sha256(), null);
      }
    }
  }

  /**
   * Checks that every listed file is present with the listed size: for content whose digest was
   * already checked as it was written.
   *
   * @throws SnapshotMismatchException naming the first file that differs
   */
  public static void verifySizes(SnapshotManifest manifest, Path dir) throws IOException {
    for (SnapshotFile f : manifest.files()) {
      Path p = dir.resolve(f.name());
      if (!Files.isRegularFile(p)) {
        throw new SnapshotMismatchException("snapshot file missing: " + f.name(), null);
      }
      long size = Files.size(p);
      if (size != f.size()) {
        throw new SnapshotMismatchException(
            f.name() + " is " + size + " bytes; the manifest says " + f.size(), null);
      }
    }
  }
}
