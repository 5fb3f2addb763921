package dev.thaw.image;

/**
 * Bounds on what an image may unpack to, checked while it is read (a compressed layer cannot
 * promise its unpacked size).
 *
 * @param maxLayerBytes at most this many bytes per layer, compressed as fetched or unpacked
 * @param maxImageBytes at most this many unpacked bytes for all layers together
 */
public record LayerLimits(long maxLayerBytes, long maxImageBytes) {
  /** 2 GiB a layer, 4 GiB an image: far above a function's, far below a node's disk. */
  public static final LayerLimits DEFAULT = new LayerLimits(2L << 30, 4L << 30);

  public LayerLimits {
    if (maxLayerBytes <= 0 || maxImageBytes <= 0) {
      throw new IllegalArgumentException(
          "limits must be positive: " + maxLayerBytes + ", " + maxImageBytes);
    }
  }
}
