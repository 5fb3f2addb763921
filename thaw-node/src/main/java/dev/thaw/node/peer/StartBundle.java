package dev.thaw.node.peer;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;

/**
 * What the start of a lazy restore reads before its guest can resume, as one peer answers it
 * ({@code GET /peer/starts/{revision}}): the manifest, the working pages and the chunks of every
 * file but the memory file (the device state, and the disk layer of a function from an image).
 * Nothing in it is trusted by the format: a reader checks the manifest against a digest from
 * storage, the pages against the manifest's digest of them and each chunk against its name and the
 * manifest's length.
 *
 * <p>Format (big-endian):
 *
 * <pre>
 *   magic     8 bytes  "THAWSTRT"
 *   version   u32      1
 *   manifest  u32 n, then n bytes: the manifest JSON (UTF-8) as storage holds it
 *   pages     u32 n, then n bytes: the working pages' content, run after run (0: none)
 *   chunks    u32 count, then per chunk: 32 bytes SHA-256, u32 n, n bytes
 *   (end of body: anything after the last chunk is refused)
 * </pre>
 *
 * @param manifest the manifest JSON's bytes
 * @param pages the working pages, from position to limit (empty when the manifest names none)
 * @param chunks chunks by SHA-256 (lower-case hex), in the order sent
 */
public record StartBundle(byte[] manifest, ByteBuffer pages, Map<String, byte[]> chunks) {
  /** The most bytes of manifest a reader takes. */
  public static final int MAX_MANIFEST = 32 << 20;

  /** The most chunks a reader takes. */
  public static final int MAX_CHUNKS = 1 << 16;

  /** The most bytes of one chunk a reader takes. */
  public static final int MAX_CHUNK = 16 << 20;

  private static final byte[] MAGIC = "THAWSTRT".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;

  public StartBundle {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(pages, "pages");
    chunks = Map.copyOf(chunks);
  }

  /** The body of a start answer. */
  public byte[] encode() throws IOException {
    long size = 8 + 4 + 4L + manifest.length + 4 + pages.remaining() + 4;
    for (byte[] c : chunks.values()) {
      size += 32 + 4 + c.length;
    }
    if (size > Integer.MAX_VALUE - 16) {
      throw new IOException("a start of " + size + " bytes is too large to serve");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) size);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(manifest.length);
      out.write(manifest);
      out.writeInt(pages.remaining());
      ByteBuffer p = pages.duplicate();
      byte[] buf = new byte[64 << 10];
      while (p.hasRemaining()) {
        int n = Math.min(buf.length, p.remaining());
        p.get(buf, 0, n);
        out.write(buf, 0, n);
      }
      out.writeInt(chunks.size());
      HexFormat hex = HexFormat.of();
      for (Map.Entry<String, byte[]> c : chunks.entrySet()) {
        out.write(hex.parseHex(c.getKey()));
        out.writeInt(c.getValue().length);
        out.write(c.getValue());
      }
    }
    return bytes.toByteArray();
  }

  /**
   * Reads a start answer from {@code in} ({@link StartDecoder}), allocating no more than each
   * part's bound: the pages in a direct buffer (off the heap, as storage's are read).
   *
   * @param maxPages the most bytes of pages taken (the memory file's size)
   * @throws IOException when the body is malformed, truncated, overlong or beyond a bound
   */
  public static StartBundle read(InputStream in, long maxPages) throws IOException {
    StartDecoder decoder = new StartDecoder(maxPages);
    byte[] buf = new byte[64 << 10];
    for (int n; (n = in.read(buf)) >= 0; ) {
      decoder.feed(ByteBuffer.wrap(buf, 0, n));
    }
    return decoder.finish().bundle();
  }

  static boolean isMagic(byte[] magic) {
    return Arrays.equals(magic, MAGIC);
  }
}
