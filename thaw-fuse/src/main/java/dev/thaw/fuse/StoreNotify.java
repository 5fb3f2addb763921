package dev.thaw.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.types.off_t;

/**
 * Puts bytes straight into the kernel's page cache of a file served through FUSE ({@code
 * fuse_lowlevel_notify_store}, libfuse 2.9, which the high-level API jnr-fuse binds leaves out):
 * one write of the bytes to the FUSE device. Having the kernel read the same bytes ({@link
 * PageCache}) costs a request through the server per 128 KiB and the server reading them back.
 */
final class StoreNotify {
  /** The low-level calls of libfuse 2 needed, on the {@code struct fuse} of a mounted server. */
  public interface LibFuseLowLevel {
    Pointer fuse_get_session(Pointer fuse);

    Pointer fuse_session_next_chan(Pointer session, Pointer previous);

    int fuse_lowlevel_notify_store(
        Pointer chan, long nodeId, @off_t long offset, Pointer bufv, int flags);
  }

  /** Bytes pushed with one write. */
  static final int PIECE = 1 << 20;

  // struct fuse_bufvec { size_t count, idx, off; struct fuse_buf buf[1]; } with
  // struct fuse_buf { size_t size; enum flags; void *mem; int fd; off_t pos; }, on LP64.
  private static final int VEC_BYTES = 64;
  private static final int SIZE_AT = 24;
  private static final int MEM_AT = 40;
  private static final int FD_AT = 48;

  private static volatile LibFuseLowLevel lib;

  private final Pointer chan;
  private final Pointer vec;

  /** What one write sends, off the heap; the vector points at it. */
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(PIECE);

  private StoreNotify(Pointer chan, Runtime runtime) {
    this.chan = chan;
    this.vec = Memory.allocateDirect(runtime, VEC_BYTES, true);
    vec.putLong(0, 1); // one buffer, from its start
    vec.putPointer(MEM_AT, Pointer.wrap(runtime, buffer));
    vec.putInt(FD_AT, -1);
  }

  /** For the server whose {@code struct fuse} is {@code fuse} (from its context). */
  static StoreNotify on(Pointer fuse) throws IOException {
    LibFuseLowLevel l = lib();
    Pointer session = l.fuse_get_session(fuse);
    Pointer chan = session == null ? null : l.fuse_session_next_chan(session, null);
    if (chan == null) {
      throw new IOException("the FUSE session has no channel");
    }
    return new StoreNotify(chan, Runtime.getRuntime(l));
  }

  /** Pushes {@code data} as the bytes of node {@code nodeId} from {@code offset} on. */
  synchronized void store(long nodeId, long offset, ByteBuffer data) throws IOException {
    ByteBuffer rest = data.duplicate();
    long at = offset;
    while (rest.hasRemaining()) {
      int n = Math.min(PIECE, rest.remaining());
      buffer.clear().put(rest.slice().limit(n));
      rest.position(rest.position() + n);
      vec.putLong(SIZE_AT, n);
      int err = lib().fuse_lowlevel_notify_store(chan, nodeId, at, vec, 0);
      if (err != 0) {
        throw new IOException(
            "the kernel refused " + n + " bytes at " + at + " of node " + nodeId + ": " + err);
      }
      at += n;
    }
  }

  private static LibFuseLowLevel lib() {
    LibFuseLowLevel l = lib;
    if (l == null) {
      l = LibraryLoader.create(LibFuseLowLevel.class).failImmediately().load("libfuse.so.2");
      lib = l;
    }
    return l;
  }
}
