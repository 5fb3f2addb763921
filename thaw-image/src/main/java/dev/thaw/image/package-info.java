/**
 * Users' functions as OCI images, made ready for microVMs.
 *
 * <p>{@link dev.thaw.image.ImageSources#open} names where an image comes from (an OCI image layout
 * directory, an image tarball, a registry); {@link dev.thaw.image.RootImageBuilder} resolves it,
 * fetches its layers with their digests checked, applies them safely ({@link
 * dev.thaw.image.LayerApplier}) and writes one read-only filesystem image per image digest into a
 * {@link dev.thaw.image.RootImageCache}. The result, {@link dev.thaw.image.RootImage} with its
 * {@link dev.thaw.image.ImageConfig}, is what the VM side needs: the disk to attach, the filesystem
 * and guest modules to mount it, and the command, environment, directory and user to start. Every
 * refusal is an {@link dev.thaw.image.ImageException} subtype naming what was refused.
 */
package dev.thaw.image;
