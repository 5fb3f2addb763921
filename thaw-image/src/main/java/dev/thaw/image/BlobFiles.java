package dev.thaw.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * The files of an image layout or tarball, by relative name: a directory or an uncompressed tar.
 */
interface BlobFiles extends AutoCloseable {
  /** Opens a file, or empty when there is none of that name. */
  Optional<InputStream> open(String name) throws IOException;

  /** The size of a file, or -1 when there is none. */
  long size(String name) throws IOException;

  @Override
  void close() throws IOException;

  /** Opens the regular file {@code name}, or throws naming what is missing. */
  default InputStream require(String name, String what) throws IOException {
    return open(name).orElseThrow(() -> new NotAnImageException(what + ": no file " + name));
  }

  /** The files under a directory (names are joined to it; digests make them safe names). */
  static BlobFiles directory(Path dir) {
    return new BlobFiles() {
      @Override
      public Optional<InputStream> open(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          return Optional.empty();
        }
        try {
          return Optional.of(Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
          return Optional.empty();
        }
      }

      @Override
      public long size(String name) throws IOException {
        Path p = dir.resolve(name);
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.size(p) : -1;
      }

      @Override
      public void close() {}
    };
  }

  /** The regular files of an uncompressed tar, read in place (no copy). */
  static BlobFiles tar(Path file) throws IOException {
    TarFile tar = new TarFile(file);
    Map<String, TarArchiveEntry> entries = new HashMap<>();
    for (TarArchiveEntry e : tar.getEntries()) {
      if (e.isFile()) {
        entries.put(normalize(e.getName()), e);
      }
    }
    return new BlobFiles() {
      @Override
      public Optional<InputStream> open(String name) throws IOException {
        TarArchiveEntry e = entries.get(normalize(name));
        return e == null ? Optional.empty() : Optional.of(tar.getInputStream(e));
      }

      @Override
      public long size(String name) {
        TarArchiveEntry e = entries.get(normalize(name));
        return e == null ? -1 : e.getSize();
      }

      @Override
      public void close() throws IOException {
        tar.close();
      }
    };
  }

  private static String normalize(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return n;
  }
}
