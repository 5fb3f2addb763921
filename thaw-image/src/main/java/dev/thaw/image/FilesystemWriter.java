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
 * copy owners, modes and times from the tree and never follow its links. The output depends on the
 * tree alone: the UUID comes from the image digest, the filesystem's own times from the newest file
 * (erofs reads {@code SOURCE_DATE_EPOCH}, mke2fs {@code E2FSPROGS_FAKE_TIME}, mksquashfs {@code
 * -mkfs-time}) and ext4's directory hash seed from the digest, so a tree built twice on one machine
 * gives the same erofs or squashfs bytes, and chunked storage stores them once (ext4 still differs:
 * mke2fs draws inode generation numbers at random).
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
    long[] usage = usage(tree);
    String epoch = Long.toString(usage[2]);
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
                "root_owner=0:0,hash_seed=" + uuid,
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
                "lz4",
                "-mkfs-time",
                epoch));
        if (allRoot) {
          cmd.add("-all-root");
        }
      }
    }
    run(cmd, format, epoch);
  }

  /**
   * Bytes of data rounded up to 4 KiB blocks, the number of files and directories, and the newest
   * modification time in seconds.
   */
  private static long[] usage(Path tree) throws IOException {
    long[] u = new long[3];
    Files.walkFileTree(
        tree,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
            u[0] += 4096;
            u[1]++;
            u[2] = Math.max(u[2], a.lastModifiedTime().to(java.util.concurrent.TimeUnit.SECONDS));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
            u[0] += (a.size() + 4095) / 4096 * 4096;
            u[1]++;
            u[2] = Math.max(u[2], a.lastModifiedTime().to(java.util.concurrent.TimeUnit.SECONDS));
            return FileVisitResult.CONTINUE;
          }
        });
    return u;
  }

  private static void run(List<String> cmd, FilesystemFormat format, String epoch)
      throws IOException {
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      // No later than the newest file: erofs clamps files' times to it, none is moved.
      // (mksquashfs refuses it beside -mkfs-time.)
      if (format != FilesystemFormat.SQUASHFS) {
        pb.environment().put("SOURCE_DATE_EPOCH", epoch);
        pb.environment().put("E2FSPROGS_FAKE_TIME", epoch);
      }
      p = pb.start();
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
