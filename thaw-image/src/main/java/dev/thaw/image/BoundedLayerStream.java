package dev.thaw.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Counts a layer's unpacked bytes and refuses the layer, or the image, as soon as it passes its
 * limit: a gzip bomb stops at the limit, not at the end of the disk.
 */
final class BoundedLayerStream extends FilterInputStream {
  private final String layer;
  private final long maxLayerBytes;
  private final long imageBytesLeft;
  private long count;

  /**
   * @param imageBytesLeft what the image's limit leaves after the layers applied before
   */
  BoundedLayerStream(InputStream in, String layer, long maxLayerBytes, long imageBytesLeft) {
    super(in);
    this.layer = layer;
    this.maxLayerBytes = maxLayerBytes;
    this.imageBytesLeft = imageBytesLeft;
  }

  /** Bytes read so far. */
  long count() {
    return count;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      add(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) {
      add(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long s = super.skip(n);
    add(s);
    return s;
  }

  private void add(long n) throws LayerTooLargeException {
    count += n;
    if (count > maxLayerBytes) {
      throw new LayerTooLargeException(
          "layer " + layer + " unpacks to more than the limit of " + maxLayerBytes + " bytes");
    }
    if (count > imageBytesLeft) {
      throw new LayerTooLargeException(
          "the image unpacks to more than its limit (reached in layer " + layer + ")");
    }
  }
}
