package dev.thaw.image;

import dev.thaw.core.io.FileTrees;
import dev.thaw.image.UnsafeLayerEntryException.Reason;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Applies image layers to a directory in order, as container runtimes do: each layer's tar (gzip,
 * zstd or plain) adds and replaces files; a whiteout {@code .wh.NAME} deletes NAME of the layers
 * below, an opaque marker {@code .wh..wh..opq} empties its directory of them. Hard links, symbolic
 * links, modes (set-id and sticky bits too), times and, when running as root, owners are kept.
 *
 * <p>Safety, since a layer is untrusted input: entries with {@code ..} components or absolute names
 * are refused; the extractor never follows a symbolic link (an entry whose path crosses one is
 * refused, and a link or file replaces what was there rather than writing through it); device nodes
 * are refused; FIFOs and other special files are skipped with a note; each layer and the whole
 * image are bounded by {@link LayerLimits} while they are read. Every refusal names the layer and
 * the entry, and happens before anything is written outside {@code root}.
 */
public final class LayerApplier {
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";

  private final Path root;
  private final LayerLimits limits;
  private final boolean setOwners;
  private final List<String> notes = new ArrayList<>();

  /** Each directory's time as the last entry naming it gave it, across layers. */
  private final Map<Path, FileTime> dirTimes = new HashMap<>();

  private long imageBytes;

  /**
   * @param root an existing directory to extract into (usually empty)
   * @param setOwners whether to give files the layers' owners (needs root; without it every file
   *     belongs to whoever runs this)
   */
  public LayerApplier(Path root, LayerLimits limits, boolean setOwners) throws IOException {
    this.root = root.toRealPath();
    this.limits = limits;
    this.setOwners = setOwners;
  }

  /** What was skipped and why, one line each, for the build's report. */
  public List<String> notes() {
    return List.copyOf(notes);
  }

  /** Unpacked bytes of every layer applied so far. */
  public long imageBytes() {
    return imageBytes;
  }

  /**
   * Applies one layer. {@code blob} is read to its end or until a refusal; the caller checks its
   * digest.
   *
   * @param layer names the layer in errors (its digest)
   */
  public void apply(String layer, InputStream blob) throws IOException {
    InputStream tarBytes = Compression.decompress(new BufferedInputStream(blob, 1 << 16));
    BoundedLayerStream bounded =
        new BoundedLayerStream(
            tarBytes, layer, limits.maxLayerBytes(), limits.maxImageBytes() - imageBytes);
    Set<Path> written = new HashSet<>();
    Set<String> skipped = new LinkedHashSet<>();
    TarArchiveInputStream tar = new TarArchiveInputStream(bounded);
    for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
      apply(layer, e, tar, written, skipped);
    }
    imageBytes += bounded.count();
    if (!skipped.isEmpty()) {
      notes.add("layer " + layer + ": skipped " + String.join(", ", skipped));
    }
  }

  private void apply(
      String layer, TarArchiveEntry e, InputStream content, Set<Path> written, Set<String> skipped)
      throws IOException {
    String name = e.getName();
    List<String> parts = parts(layer, name, name);
    if (parts.isEmpty()) {
      if (e.isDirectory()) {
        meta(root, e, false);
        dirTimes.put(root, e.getLastModifiedTime());
      }
      return;
    }
    String base = parts.get(parts.size() - 1);
    List<String> parentParts = parts.subList(0, parts.size() - 1);
    if (base.startsWith(WHITEOUT)) {
      whiteout(layer, name, parentParts, base, written);
      return;
    }
    if (e.isCharacterDevice() || e.isBlockDevice()) {
      throw new UnsafeLayerEntryException(
          layer,
          name,
          Reason.DEVICE_NODE,
          "major " + e.getDevMajor() + ", minor " + e.getDevMinor());
    }
    // Before isFile(), which holds for every type it does not know, FIFOs included.
    if (e.isFIFO() || !(e.isDirectory() || e.isFile() || e.isSymbolicLink() || e.isLink())) {
      skipped.add(name + (e.isFIFO() ? " (a FIFO)" : " (type '" + (char) e.getLinkFlag() + "')"));
      return;
    }
    Path parent = parents(layer, name, parentParts, true, written);
    Path target = parent.resolve(base);
    BasicFileAttributes existing = lstat(target);
    if (e.isDirectory()) {
      if (existing != null && !existing.isDirectory()) {
        remove(target, existing);
        existing = null;
      }
      if (existing == null) {
        Files.createDirectory(target);
      }
      meta(target, e, false);
      dirTimes.put(target, e.getLastModifiedTime());
    } else if (e.isSymbolicLink()) {
      remove(target, existing);
      Path linkTo;
      try {
        linkTo = Path.of(e.getLinkName());
      } catch (InvalidPathException ex) {
        throw new UnsafeLayerEntryException(layer, name, Reason.BAD_NAME, "link target");
      }
      if (e.getLinkName().isEmpty()) {
        throw new UnsafeLayerEntryException(layer, name, Reason.BAD_NAME, "empty link target");
      }
      Files.createSymbolicLink(target, linkTo);
      meta(target, e, true);
    } else if (e.isLink()) {
      List<String> sourceParts = parts(layer, name, e.getLinkName());
      Path source =
          parents(layer, name, sourceParts.subList(0, sourceParts.size() - 1), false, written);
      source = source == null ? null : source.resolve(sourceParts.get(sourceParts.size() - 1));
      BasicFileAttributes s = source == null ? null : lstat(source);
      if (s == null || !s.isRegularFile()) {
        throw new UnsafeLayerEntryException(
            layer, name, Reason.BAD_HARD_LINK, "target '" + e.getLinkName() + "'");
      }
      if (!source.equals(target)) {
        remove(target, existing);
        Files.createLink(target, source);
      }
    } else {
      remove(target, existing);
      try (OutputStream out =
          Files.newOutputStream(
              target,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS)) {
        content.transferTo(out);
      }
      meta(target, e, false);
      setTime(target, e.getLastModifiedTime());
    }
    written.add(target);
  }

  /**
   * Gives every directory the time of the last entry that named it, or the epoch when none did
   * (creating children moved their times; the epoch keeps equal images equal, byte for byte). Call
   * once, after the last layer.
   */
  public void finish() throws IOException {
    Files.walkFileTree(
        root,
        new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e)
              throws IOException {
            if (e != null) {
              throw e;
            }
            setTime(dir, dirTimes.getOrDefault(dir, FileTime.fromMillis(0)));
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
  }

  /** The name's components, refusing {@code ..}, absolute names and NUL bytes. */
  private static List<String> parts(String layer, String entry, String name)
      throws UnsafeLayerEntryException {
    if (name.indexOf('\0') >= 0) {
      throw new UnsafeLayerEntryException(layer, entry, Reason.BAD_NAME, "a NUL byte");
    }
    if (name.startsWith("/")) {
      throw new UnsafeLayerEntryException(layer, entry, Reason.ABSOLUTE_PATH, null);
    }
    List<String> parts = new ArrayList<>();
    for (String c : name.split("/")) {
      if (c.equals("..")) {
        throw new UnsafeLayerEntryException(layer, entry, Reason.PARENT_TRAVERSAL, null);
      }
      if (!c.isEmpty() && !c.equals(".")) {
        parts.add(c);
      }
    }
    return parts;
  }

  /**
   * The directory {@code parts} names under the root, each component checked with lstat: a link is
   * refused, a missing directory created (when {@code create}) or reported as null.
   */
  private Path parents(
      String layer, String entry, List<String> parts, boolean create, Set<Path> written)
      throws IOException {
    Path p = root;
    for (String c : parts) {
      p = p.resolve(c);
      BasicFileAttributes a = lstat(p);
      if (a == null) {
        if (!create) {
          return null;
        }
        Files.createDirectory(p);
        written.add(p);
      } else if (a.isSymbolicLink()) {
        throw new UnsafeLayerEntryException(
            layer,
            entry,
            Reason.THROUGH_SYMLINK,
            "'" + root.relativize(p) + "' is a link to '" + Files.readSymbolicLink(p) + "'");
      } else if (!a.isDirectory()) {
        throw new UnsafeLayerEntryException(
            layer, entry, Reason.NOT_A_DIRECTORY, "'" + root.relativize(p) + "'");
      }
    }
    return p;
  }

  private void whiteout(
      String layer, String entry, List<String> parentParts, String base, Set<Path> written)
      throws IOException {
    Path parent = parents(layer, entry, parentParts, false, written);
    if (parent == null) {
      return;
    }
    if (base.equals(OPAQUE)) {
      List<Path> victims = new ArrayList<>();
      try (DirectoryStream<Path> children = Files.newDirectoryStream(parent)) {
        for (Path child : children) {
          if (!written.contains(child)) {
            victims.add(child);
          }
        }
      }
      for (Path v : victims) {
        remove(v, lstat(v));
      }
      return;
    }
    String hidden = base.substring(WHITEOUT.length());
    if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
      throw new UnsafeLayerEntryException(layer, entry, Reason.BAD_NAME, "a whiteout of nothing");
    }
    Path victim = parent.resolve(hidden);
    if (!written.contains(victim)) {
      remove(victim, lstat(victim));
    }
  }

  private static void remove(Path p, BasicFileAttributes a) throws IOException {
    if (a == null) {
      return;
    }
    if (a.isDirectory()) {
      FileTrees.deleteRecursively(p); // walks without following links
    } else {
      Files.delete(p);
    }
  }

  private static BasicFileAttributes lstat(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  /** Owner first (chown clears set-id bits), then the mode; links have no mode of their own. */
  private void meta(Path p, TarArchiveEntry e, boolean link) throws IOException {
    if (setOwners) {
      Files.setAttribute(p, "unix:uid", (int) e.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(p, "unix:gid", (int) e.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
    }
    if (link) {
      setTime(p, e.getLastModifiedTime());
      return;
    }
    FileModes.set(p, e.getMode() & 07777);
  }

  private static void setTime(Path p, FileTime t) {
    try {
      Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(t, null, null);
    } catch (IOException e) {
      // A time is not worth failing a build for.
    }
  }
}
