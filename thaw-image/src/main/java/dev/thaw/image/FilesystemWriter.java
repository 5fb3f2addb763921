package dev.thaw.image;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Writes a directory tree into a filesystem image with the format's own tool: {@code mkfs.erofs}
 * (erofs-utils), {@code mke2fs -d} (e2fsprogs) or {@code mksquashfs} (squashfs-tools). The tools
 * copy owners, modes and times from the tree and never follow its links. The filesystem UUID comes
 * from the image digest, so equal images get equal UUIDs.
 */
final class FilesystemWriter {
  private static final long MKFS_TIMEOUT_MINUTES = 30;

  private FilesystemWriter() {}

  /**
   * Writes {@code tree} into the new file {@code out}.
   *
   * @param allRoot make every file root's (when the tree's owners could not be set)
   */
  static void write(FilesystemFormat format, Path tree, Path out, String digest, boolean allRoot)
      throws IOException {
    String uuid = uuid(digest);
    List<String> cmd = new ArrayList<>();
    switch (format) {
      case EROFS -> {
        cmd.addAll(List.of("mkfs.erofs", "--quiet", "-U" + uuid, "--preserve-mtime"));
        if (allRoot) {
          cmd.add("--all-root");
        }
        cmd.addAll(List.of(out.toString(), tree.toString()));
      }
      case EXT4 -> {
        long[] usage = usage(tree);
        // Data rounded to blocks, one block per directory, plus room for metadata: mke2fs -d
        // fails rather than grow the file.
        long bytes = usage[0] + usage[0] / 10 + usage[1] * 256 + (32L << 20);
        cmd.addAll(
            List.of(
                "mke2fs",
                "-q",
                "-F",
                "-t",
                "ext4",
                "-O",
                "^has_journal",
                "-m",
                "0",
                "-b",
                "4096",
                "-N",
                Long.toString(usage[1] + 1024),
                "-U",
                uuid,
                "-E",
                "root_owner=0:0",
                "-d",
                tree.toString(),
                out.toString(),
                (bytes / 1024) + "k"));
      }
      case SQUASHFS -> {
        cmd.addAll(
            List.of(
                "mksquashfs",
                tree.toString(),
                out.toString(),
                "-noappend",
                "-quiet",
                "-no-progress",
                "-comp",
                "lz4"));
        if (allRoot) {
          cmd.add("-all-root");
        }
      }
    }
    run(cmd, format);
  }

  /** Bytes of data rounded up to 4 KiB blocks, and the number of files and directories. */
  private static long[] usage(Path tree) throws IOException {
    long[] u = new long[2];
    Files.walkFileTree(
        tree,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
            u[0] += 4096;
            u[1]++;
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
            u[0] += (a.size() + 4095) / 4096 * 4096;
            u[1]++;
            return FileVisitResult.CONTINUE;
          }
        });
    return u;
  }

  private static void run(List<String> cmd, FilesystemFormat format) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException(
          cmd.get(0)
              + " is needed to write "
              + format.mountType()
              + " images: install "
              + switch (format) {
                case EROFS -> "erofs-utils";
                case EXT4 -> "e2fsprogs";
                case SQUASHFS -> "squashfs-tools";
              }
              + " (scripts/setup does)",
          e);
    }
    try {
      String output = new String(p.getInputStream().readAllBytes()).strip();
      if (!p.waitFor(MKFS_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(cmd.get(0) + " took more than " + MKFS_TIMEOUT_MINUTES + " minutes");
      }
      if (p.exitValue() != 0) {
        throw new IOException(cmd.get(0) + " failed (" + p.exitValue() + "): " + output);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted in " + cmd.get(0));
    }
  }

  private static String uuid(String digest) {
    String h = digest.substring("sha256:".length());
    return h.substring(0, 8)
        + "-"
        + h.substring(8, 12)
        + "-"
        + h.substring(12, 16)
        + "-"
        + h.substring(16, 20)
        + "-"
        + h.substring(20, 32);
  }
}
