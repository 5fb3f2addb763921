package dev.thaw.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The writable layers of functions from images: qcow2 files, one per VM.
 *
 * <p>A booted VM writes into a fresh layer: an empty ext4 file system (no journal: the snapshot is
 * taken with the VM stopped and its block requests drained, so there is no crash to recover from,
 * and journal blocks would only grow every layer) in a standalone qcow2 that allocates only what
 * the guest writes. A snapshot keeps that file as its disk file.
 *
 * <p>A restored clone writes into an empty qcow2 of the same virtual size whose header names no
 * backing file: QEMU is told on its command line to read what the clone has not written from the
 * snapshot's layer, opened read-only. So the snapshot's layer never changes, no clone sees another
 * clone's writes, and no path of this node is written into a file that travels with the snapshot.
 *
 * <p>Both kinds are copied from templates made once per virtual size with {@code mke2fs} and {@code
 * qemu-img} (a copy of a few hundred KB instead of a process per VM).
 */
final class DiskLayers {
  private static final byte[] QCOW2_MAGIC = {'Q', 'F', 'I', (byte) 0xfb};
  private static final long TOOL_TIMEOUT_SECONDS = 60;

  /**
   * How a layer's file system is made. Inode tables are zeroed now (qemu-img leaves the zeros out
   * of the template): with lazy init, the guest's kernel would zero them in the background after
   * the mount, busy in every clone and writing megabytes into every layer.
   */
  private static final List<String> MKE2FS_OPTIONS =
      List.of(
          "-q",
          "-F",
          "-t",
          "ext4",
          "-O",
          "^has_journal",
          "-E",
          "lazy_itable_init=0,nodiscard,root_owner=0:0");

  /** Part of a layer template's name: a template made with other options is never reused. */
  private static final String LAYER_RECIPE =
      Integer.toHexString(MKE2FS_OPTIONS.hashCode() & 0xfffffff);

  private final Path dir;
  private final long size;
  private final String qemuImg;

  /**
   * @param dir where the templates are kept
   * @param size the virtual size of a booted VM's layer in bytes (a multiple of 1 MiB)
   * @param qemuImg the {@code qemu-img} binary
   */
  DiskLayers(Path dir, long size, String qemuImg) {
    if (size < (16L << 20) || size % (1L << 20) != 0) {
      throw new IllegalArgumentException("a layer is a multiple of 1 MiB, 16 MiB or more: " + size);
    }
    this.dir = Objects.requireNonNull(dir);
    this.size = size;
    this.qemuImg = Objects.requireNonNull(qemuImg);
  }

  /** Writes a fresh layer for a boot to {@code target}. */
  void newLayer(Path target) throws IOException {
    Files.copy(template("layer-" + size + "-" + LAYER_RECIPE + ".qcow2", this::makeLayer), target);
  }

  /** Writes an empty clone overlay for a snapshot whose layer is {@code snapshotLayer}. */
  void newOverlay(Path snapshotLayer, Path target) throws IOException {
    long virtual = virtualSize(snapshotLayer);
    Files.copy(template("overlay-" + virtual + ".qcow2", t -> makeOverlay(t, virtual)), target);
  }

  /**
   * The virtual size a qcow2 file declares (big-endian at offset 24 of its header).
   *
   * @throws IOException when the file is not a qcow2 image
   */
  static long virtualSize(Path qcow2) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(32);
    try (FileChannel ch = FileChannel.open(qcow2, StandardOpenOption.READ)) {
      while (header.hasRemaining() && ch.read(header) >= 0) {
        // keep reading: a short read is possible on any channel
      }
    }
    header.flip();
    byte[] magic = new byte[4];
    if (header.remaining() < 32 || !java.util.Arrays.equals(get(header, magic), QCOW2_MAGIC)) {
      throw new IOException(qcow2 + " is not a qcow2 image");
    }
    return header.getLong(24);
  }

  private static byte[] get(ByteBuffer b, byte[] into) {
    b.get(0, into);
    return into;
  }

  private interface Maker {
    void make(Path target) throws IOException;
  }

  /** The template {@code name}, made first if missing (made aside and renamed: never half seen). */
  private synchronized Path template(String name, Maker maker) throws IOException {
    Path t = dir.resolve(name);
    if (!Files.exists(t)) {
      Files.createDirectories(dir);
      Path work = Files.createTempDirectory(dir, ".make-");
      try {
        Path made = work.resolve(name);
        maker.make(made);
        Files.move(made, t, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        dev.thaw.core.io.FileTrees.deleteQuietly(work);
      }
    }
    return t;
  }

  private void makeLayer(Path target) throws IOException {
    Path raw = target.resolveSibling("layer.raw");
    List<String> mke2fs = new ArrayList<>(List.of("mke2fs"));
    mke2fs.addAll(MKE2FS_OPTIONS);
    mke2fs.addAll(List.of(raw.toString(), (size >> 10) + "k"));
    run(mke2fs);
    run(List.of(qemuImg, "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), "" + target));
  }

  private void makeOverlay(Path target, long virtual) throws IOException {
    run(List.of(qemuImg, "create", "-q", "-f", "qcow2", target.toString(), Long.toString(virtual)));
  }

  private static void run(List<String> command) throws IOException {
    Process p =
        ChildEnvironment.apply(
                new ProcessBuilder(new ArrayList<>(command)),
                ChildEnvironment.forQemu(System.getenv()))
            .redirectErrorStream(true)
            .start();
    try (InputStream out = p.getInputStream()) {
      String said = new String(out.readAllBytes()).strip();
      if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(command.get(0) + " did not finish");
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", command) + " exited with status " + p.exitValue() + ": " + said);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making a disk layer template", e);
    }
  }
}
