package dev.thaw.node.snapshot.fill;

import java.util.Locale;

/** Why a chunk asked of a peer came from storage instead. */
public enum PeerFallback {
  /** The peer does not hold it (404). */
  MISSING(false),
  /** The peer is at its bound of uploads (503). */
  BUSY(false),
  /** The peer refused the token (401). */
  UNAUTHORIZED(true),
  /** The peer did not send it within the deadline a storage fetch of its size sets. */
  TIMEOUT(true),
  /** The peer sent bytes that do not match the chunk's name or length. */
  CORRUPT(true),
  /** The peer could not be reached, or answered with another status. */
  FAILED(true),
  /** The peer failed earlier in this fill and is no longer asked. */
  SKIPPED(false);

  private final boolean dropsPeer;

  PeerFallback(boolean dropsPeer) {
    this.dropsPeer = dropsPeer;
  }

  /** Whether the peer is asked nothing more for the rest of the fill. */
  boolean dropsPeer() {
    return dropsPeer;
  }

  /** The reason as a meter's tag. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
