package dev.thaw.core.snapshot;

/**
 * The snapshot's guest (kernel and initramfs) is not the one this node boots: its memory holds
 * another kernel, which the node's devices and probes were not made for. Refused like any
 * incompatible snapshot; the cold start boots.
 */
public class GuestMismatchException extends SnapshotFormatException {
  public GuestMismatchException(SnapshotManifest.Guest made, SnapshotManifest.Guest here) {
    super(
        "snapshot made for guest kernel "
            + shortDigest(made.kernelSha256())
            + ", initramfs "
            + shortDigest(made.initrdSha256())
            + "; this node boots kernel "
            + shortDigest(here.kernelSha256())
            + ", initramfs "
            + shortDigest(here.initrdSha256()),
        null);
  }

  private static String shortDigest(String sha256) {
    return sha256.length() > 12 ? sha256.substring(0, 12) : sha256;
  }

  /**
   * Checks that {@code manifest} was made for {@code guest}.
   *
   * @throws GuestMismatchException when it was made for another guest image
   */
  public static void check(SnapshotManifest manifest, SnapshotManifest.Guest guest) {
    if (!manifest.guest().equals(guest)) {
      throw new GuestMismatchException(manifest.guest(), guest);
    }
  }
}
