package dev.thaw.node.peer;

import dev.thaw.core.io.Digests;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a start answer ({@link StartBundle}, whose format it follows) as its bytes arrive, each
 * buffer of the network copied once into its place: the pages into a direct buffer (off the heap,
 * as storage's are read), hashed on the way, so that no second pass over them is needed to check
 * them. Every part is bounded before it is allocated; anything after the last chunk is refused. Not
 * thread-safe: one body, fed in order.
 */
public final class StartDecoder {
  /** What a whole answer decoded to, and the SHA-256 of its pages computed as they arrived. */
  public record Decoded(StartBundle bundle, String pagesSha256) {}

  private enum Part {
    HEAD,
    MANIFEST_LENGTH,
    MANIFEST,
    PAGES_LENGTH,
    PAGES,
    COUNT,
    CHUNK_HEAD,
    CHUNK,
    END
  }

  private static final HexFormat HEX = HexFormat.of();

  private final long maxPages;
  private final MessageDigest pagesSha = Digests.newSha256();
  private final ByteBuffer field = ByteBuffer.allocate(36);
  private final Map<String, byte[]> chunks = new LinkedHashMap<>();
  private Part part = Part.HEAD;
  private ByteBuffer manifest;
  private ByteBuffer pages;
  private int count;
  private int seen;
  private String name;
  private ByteBuffer chunk;

  /**
   * @param maxPages the most bytes of pages taken (the memory file's size)
   */
  public StartDecoder(long maxPages) {
    this.maxPages = maxPages;
  }

  /**
   * Takes the next bytes of the body.
   *
   * @throws IOException when they do not make a start answer or go beyond a bound
   */
  public void feed(ByteBuffer in) throws IOException {
    while (in.hasRemaining()) {
      switch (part) {
        case HEAD -> {
          if (field(in, 12)) {
            head();
          }
        }
        case MANIFEST_LENGTH -> {
          if (field(in, 4)) {
            manifest = ByteBuffer.allocate(length(StartBundle.MAX_MANIFEST, "manifest"));
            part = Part.MANIFEST;
          }
        }
        case MANIFEST -> copy(in, manifest);
        case PAGES_LENGTH -> {
          if (field(in, 4)) {
            pages =
                ByteBuffer.allocateDirect(
                    length((int) Math.min(maxPages, Integer.MAX_VALUE), "pages"));
            part = Part.PAGES;
          }
        }
        case PAGES -> {
          ByteBuffer run = in.slice(in.position(), Math.min(in.remaining(), pages.remaining()));
          pagesSha.update(run.duplicate());
          pages.put(run);
          in.position(in.position() + run.capacity());
        }
        case COUNT -> {
          if (field(in, 4)) {
            count = length(StartBundle.MAX_CHUNKS, "chunk count");
            part = Part.CHUNK_HEAD;
          }
        }
        case CHUNK_HEAD -> {
          if (field(in, 36)) {
            byte[] sha = new byte[32];
            field.get(0, sha);
            name = HEX.formatHex(sha);
            chunk = ByteBuffer.allocate(bounded(field.getInt(32), StartBundle.MAX_CHUNK, "chunk"));
            part = Part.CHUNK;
          }
        }
        case CHUNK -> copy(in, chunk);
        case END -> throw new IOException("the start answer goes on after its last chunk");
      }
      settle();
    }
  }

  /**
   * The answer, once the body has ended.
   *
   * @throws IOException when it ended within a part
   */
  public Decoded finish() throws IOException {
    settle();
    if (part != Part.END) {
      throw new EOFException("the start answer ends within its " + part.name().toLowerCase());
    }
    return new Decoded(
        new StartBundle(manifest.array(), pages.flip(), chunks), Digests.hex(pagesSha));
  }

  private void head() throws IOException {
    byte[] magic = new byte[8];
    field.get(0, magic);
    if (!StartBundle.isMagic(magic)) {
      throw new IOException("not a start answer");
    }
    int version = field.getInt(8);
    if (version != StartBundle.VERSION) {
      throw new IOException(
          "start answer version " + version + ", this node reads " + StartBundle.VERSION);
    }
    part = Part.MANIFEST_LENGTH;
  }

  /** Moves past parts that are complete (or empty). */
  private void settle() {
    while (true) {
      if (part == Part.MANIFEST && !manifest.hasRemaining()) {
        part = Part.PAGES_LENGTH;
      } else if (part == Part.PAGES && !pages.hasRemaining()) {
        part = Part.COUNT;
      } else if (part == Part.CHUNK && !chunk.hasRemaining()) {
        chunks.put(name, chunk.array());
        seen++;
        part = Part.CHUNK_HEAD;
      } else if (part == Part.CHUNK_HEAD && seen == count) {
        part = Part.END;
      } else {
        return;
      }
    }
  }

  /** Gathers a field of {@code size} bytes; true once it is whole (then read, and cleared). */
  private boolean field(ByteBuffer in, int size) {
    field.limit(size);
    int n = Math.min(in.remaining(), field.remaining());
    field.put(field.position(), in, in.position(), n);
    field.position(field.position() + n);
    in.position(in.position() + n);
    if (field.hasRemaining()) {
      return false;
    }
    field.clear();
    return true;
  }

  private int length(int max, String what) throws IOException {
    return bounded(field.getInt(0), max, what);
  }

  private static void copy(ByteBuffer in, ByteBuffer to) {
    int n = Math.min(in.remaining(), to.remaining());
    to.put(to.position(), in, in.position(), n);
    to.position(to.position() + n);
    in.position(in.position() + n);
  }

  static int bounded(int n, int max, String what) throws IOException {
    if (n < 0 || n > max) {
      throw new IOException("a start answer's " + what + " of " + n + " bytes is beyond " + max);
    }
    return n;
  }
}
