package dev.thaw.node.peer;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The body of a batch of chunks from a peer ({@code GET /peer/chunks?d=S1,S2,…}): for each chunk
 * asked, in the order asked, its length as 4 bytes (big-endian), or -1 when the peer does not send
 * it, then its bytes. Nothing in it is trusted by the reader: {@link #decode} takes each chunk only
 * at the length the reader expects, and the reader checks every one against its name.
 *
 * <p>One request for up to {@link #MAX_CHUNKS} chunks instead of one each: a fill reading a whole
 * snapshot from a peer made some 800 requests of 64 KiB, whose HTTP exchanges cost the two nodes
 * more CPU than the bytes did.
 */
public final class ChunkBatch {
  /** The most chunks one batch asks for. */
  public static final int MAX_CHUNKS = 32;

  /** The most chunk bytes one answer carries; chunks past it are sent as absent. */
  public static final int MAX_BYTES = 4 << 20;

  private static final int ABSENT = -1;

  private ChunkBatch() {}

  /** Writes a batch answer, chunk by chunk, within {@link #MAX_BYTES}. */
  public static final class Encoder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long bytes;

    /** Whether another chunk may still be added (the answer is not full yet). */
    public boolean hasRoomFor() {
      return bytes < MAX_BYTES;
    }

    /**
     * Adds the next chunk asked for; false (and nothing added) when it would take the answer past
     * {@link #MAX_BYTES}: the caller then adds it as {@link #absent()}.
     */
    public boolean add(byte[] chunk) {
      if (bytes + chunk.length > MAX_BYTES) {
        return false;
      }
      writeInt(chunk.length);
      out.writeBytes(chunk);
      bytes += chunk.length;
      return true;
    }

    /** The next chunk asked for is not sent. */
    public void absent() {
      writeInt(ABSENT);
    }

    public byte[] toBytes() {
      return out.toByteArray();
    }

    private void writeInt(int v) {
      out.write(v >>> 24);
      out.write(v >>> 16);
      out.write(v >>> 8);
      out.write(v);
    }
  }

  /**
   * The most bytes the answer for chunks of {@code lengths} may have: a reader reads no more.
   *
   * @param lengths the lengths the reader expects, in the order asked
   */
  public static int maxAnswerBytes(List<Integer> lengths) {
    long sum = 4L * lengths.size();
    for (int l : lengths) {
      sum += l;
    }
    return (int) Math.min(Integer.MAX_VALUE, sum);
  }

  /**
   * Reads an answer for chunks of the expected {@code lengths}: per chunk asked, its bytes, or
   * empty when the peer did not send it. Empty as a whole when the answer does not hold what was
   * asked: a length other than expected, a body cut short or one with bytes to spare (a peer that
   * sends that is lying or broken, and none of its answer is used).
   */
  public static Optional<List<Optional<byte[]>>> decode(byte[] body, List<Integer> lengths) {
    ByteBuffer in = ByteBuffer.wrap(body);
    List<Optional<byte[]>> out = new ArrayList<>(lengths.size());
    for (int expected : lengths) {
      if (in.remaining() < 4) {
        return Optional.empty();
      }
      int length = in.getInt();
      if (length == ABSENT) {
        out.add(Optional.empty());
        continue;
      }
      if (length != expected || in.remaining() < length) {
        return Optional.empty();
      }
      byte[] chunk = new byte[length];
      in.get(chunk);
      out.add(Optional.of(chunk));
    }
    return in.hasRemaining() ? Optional.empty() : Optional.of(out);
  }
}
