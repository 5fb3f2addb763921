package dev.thaw.image;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A function image made ready for a microVM: one read-only filesystem image holding the image's
 * layers applied in order, and the config the guest needs to start it. This is the contract between
 * the image side (which builds it, {@link RootImageBuilder}) and the VM side (which runs it):
 *
 * <ul>
 *   <li>{@link #file} is a raw filesystem image (no partition table) in {@link #format}: attach it
 *       as a read-only virtio-blk disk (QEMU: {@code -drive file=F,format=raw,readonly=on,...}),
 *       load {@link FilesystemFormat#guestModules()} in the guest (after {@code virtio_blk}, and
 *       {@code overlay} for a writable layer above it) and {@code mount -t format.mountType() -o
 *       ro}. Files keep the owners, modes and times of the layers.
 *   <li>The file is shared by every VM of the image and lives in the node's image cache: never
 *       write to it; writes go to a copy-on-write layer above it (an overlay in the guest or a
 *       qcow2 overlay on the host).
 *   <li>{@link #config} says what to start: {@link ImageConfig#command()} with {@link
 *       ImageConfig#env()} in {@link ImageConfig#workingDir()} as {@link ImageConfig#user()}.
 *   <li>{@link #imageDigest} identifies the image: the digest of its linux/amd64 manifest (for a
 *       {@code docker save} tarball without one, the digest of its config, Docker's image ID).
 *       Equal digests mean equal content, so it keys caches and remote storage.
 * </ul>
 *
 * @param imageDigest {@code sha256:<hex>} of the image manifest
 * @param file the filesystem image
 * @param sizeBytes the file's size
 * @param format its filesystem
 * @param config what to run
 */
public record RootImage(
    String imageDigest, Path file, long sizeBytes, FilesystemFormat format, ImageConfig config) {
  public RootImage {
    Descriptor.requireDigest(imageDigest);
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(config, "config");
    if (sizeBytes <= 0) {
      throw new IllegalArgumentException("a root image has a size: " + sizeBytes);
    }
  }
}
