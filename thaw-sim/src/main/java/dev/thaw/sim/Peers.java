package dev.thaw.sim;

/**
 * Whether, and how, a node fetches a snapshot from peers that cache it before going to remote
 * storage ({@link PeerFetches}).
 *
 * @param enabled whether peers serve fetches at all; off, every fetch goes to storage
 * @param uploadsPerPeer uploads a peer serves at once (the agent's {@code --peer-uploads}); a peer
 *     at its bound refuses the next reader
 * @param asked peers a reader asks, one after the other, before it goes to storage
 * @param bytesPerSecond a peer's upload bandwidth (its NIC), shared by its uploads
 */
public record Peers(boolean enabled, int uploadsPerPeer, int asked, double bytesPerSecond) {
  /** The agent's default bound of concurrent uploads per peer. */
  public static final int UPLOADS = 4;

  /** Peers a reader asks by default. */
  public static final int ASKED = 2;

  /** A node's NIC by default: 10 Gbit/s. */
  public static final double BYTES_PER_SECOND = 10e9 / 8;

  /** No peers: every fetch from storage, as before peers existed. */
  public static final Peers OFF = new Peers(false, UPLOADS, ASKED, BYTES_PER_SECOND);

  public Peers {
    if (uploadsPerPeer < 1) {
      throw new IllegalArgumentException(
          "a peer serves at least one upload at once, not " + uploadsPerPeer);
    }
    if (asked < 1) {
      throw new IllegalArgumentException("a reader asks at least one peer, not " + asked);
    }
    if (!(bytesPerSecond > 0) || Double.isInfinite(bytesPerSecond)) {
      throw new IllegalArgumentException("a peer's bandwidth must be positive");
    }
  }

  /** Peers on, with the defaults. */
  public static Peers on() {
    return new Peers(true, UPLOADS, ASKED, BYTES_PER_SECOND);
  }

  /** These settings, on or off. */
  public Peers enabled(boolean on) {
    return new Peers(on, uploadsPerPeer, asked, bytesPerSecond);
  }

  /**
   * Milliseconds a peer takes to send {@code bytes}: at its bandwidth divided among as many uploads
   * as it may serve at once, the share of each when it is at its bound.
   */
  public double transferMs(long bytes) {
    return bytes * 1000.0 * uploadsPerPeer / bytesPerSecond;
  }
}
