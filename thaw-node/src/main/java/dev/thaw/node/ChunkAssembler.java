package dev.thaw.node;

import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMismatchException;
import dev.thaw.core.snapshot.SnapshotStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Rebuilds the files of a format-2 snapshot from chunks: each distinct chunk is copied from the
 * local cache when an entry there holds it, else fetched, decoded and checked against its SHA-256,
 * then written at every offset that lists it. Chunks are handled in parallel, each one's fetch,
 * decode, check and write back to back, so the network, the decoder and the disk overlap. Zero
 * chunks are never touched: the files are created sparse at full size first.
 *
 * <p>A fetched chunk whose content does not match its name is fetched once more (a transfer may
 * have damaged it); if it is still wrong the assembly fails, naming the chunk.
 */
public final class ChunkAssembler implements AutoCloseable {
  private static final int PAGE = 4096;
  private static final byte[] ZERO_PAGE = new byte[PAGE];
  private final SnapshotStore store;
  private final ExecutorService pool;

  /**
   * What one assembly moved.
   *
   * @param fetchedChunks chunks downloaded
   * @param fetchedBytes bytes that crossed the network for them (compressed)
   * @param copiedChunks chunks copied from local cache entries
   * @param copiedBytes their bytes
   * @param refetches chunks fetched a second time after a failed check
   * @param zeroBytes bytes of zero chunks, never stored nor written
   */
  public record Transfer(
      int fetchedChunks,
      long fetchedBytes,
      int copiedChunks,
      long copiedBytes,
      int refetches,
      long zeroBytes) {}

  public ChunkAssembler(SnapshotStore store, int parallelism) {
    this.store = store;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            parallelism,
            r -> {
              Thread t = new Thread(r, "thaw-chunk-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** Creates every file of {@code manifest} in {@code dir} at its full size, all holes. */
  public static void allocate(SnapshotManifest manifest, Path dir) throws IOException {
    for (SnapshotFile f : manifest.files()) {
      try (RandomAccessFile raf = new RandomAccessFile(dir.resolve(f.name()).toFile(), "rw")) {
        raf.setLength(f.size());
      }
    }
  }

  /** One place a chunk goes. */
  private record Target(FileChannel out, long offset) {}

  /**
   * Fills the files {@link #allocate} created.
   *
   * @throws SnapshotMismatchException when a chunk is corrupt in storage
   * @throws IOException when a chunk is missing or storage or disk fails
   */
  public Transfer assemble(SnapshotManifest manifest, Path dir, LocalChunks local)
      throws IOException {
    Map<String, List<Target>> targets = new LinkedHashMap<>();
    Map<String, Integer> lengths = new LinkedHashMap<>();
    List<FileChannel> outs = new ArrayList<>();
    Map<Path, FileChannel> sources = new ConcurrentHashMap<>();
    long zero = 0;
    LongAdder fetchedBytes = new LongAdder();
    LongAdder copiedBytes = new LongAdder();
    AtomicInteger fetched = new AtomicInteger();
    AtomicInteger copied = new AtomicInteger();
    AtomicInteger refetches = new AtomicInteger();
    List<Future<Void>> tasks = new ArrayList<>();
    try {
      for (SnapshotFile f : manifest.files()) {
        if (f.chunks() == null) {
          throw new IllegalArgumentException("format-1 file " + f.name() + " has no chunks");
        }
        FileChannel out = FileChannel.open(dir.resolve(f.name()), StandardOpenOption.WRITE);
        outs.add(out);
        ChunkList chunks = f.chunks();
        for (int i = 0; i < chunks.sha256().size(); i++) {
          String d = chunks.sha256().get(i);
          if (d == null) {
            zero += chunks.length(i, f.size());
          } else {
            targets
                .computeIfAbsent(d, k -> new ArrayList<>())
                .add(new Target(out, chunks.offset(i)));
            lengths.put(d, chunks.length(i, f.size()));
          }
        }
      }
      ExecutorCompletionService<Void> done = new ExecutorCompletionService<>(pool);
      // Downloads first: they wait on the network, copies only on the disk.
      List<String> order = new ArrayList<>();
      targets.keySet().stream().filter(d -> local.find(d).isEmpty()).forEach(order::add);
      targets.keySet().stream().filter(d -> local.find(d).isPresent()).forEach(order::add);
      for (String d : order) {
        int length = lengths.get(d);
        tasks.add(
            done.submit(
                () -> {
                  byte[] data;
                  var here = local.find(d);
                  if (here.isPresent()) {
                    data = read(sources, here.get());
                    copied.incrementAndGet();
                    copiedBytes.add(length);
                  } else {
                    data = fetchChecked(d, length, fetchedBytes, refetches);
                    fetched.incrementAndGet();
                  }
                  for (Target t : targets.get(d)) {
                    write(t, data, length);
                  }
                  return null;
                }));
      }
      for (int i = 0; i < tasks.size(); i++) {
        done.take().get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted assembling " + manifest.revision(), e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("cannot assemble " + manifest.revision() + ": " + cause, cause);
    } finally {
      tasks.forEach(t -> t.cancel(true));
      for (FileChannel c : outs) {
        c.close();
      }
      for (FileChannel c : sources.values()) {
        c.close();
      }
    }
    return new Transfer(
        fetched.get(), fetchedBytes.sum(), copied.get(), copiedBytes.sum(), refetches.get(), zero);
  }

  private byte[] fetchChecked(String sha256, int length, LongAdder bytes, AtomicInteger refetches)
      throws IOException {
    String problem = null;
    for (int attempt = 1; attempt <= 2; attempt++) {
      if (attempt == 2) {
        refetches.incrementAndGet();
      }
      try {
        SnapshotStore.FetchedChunk chunk = store.chunk(sha256, length);
        bytes.add(chunk.storedBytes());
        MessageDigest sha = Digests.newSha256();
        String actual = HexFormat.of().formatHex(sha.digest(chunk.data()));
        if (actual.equals(sha256)) {
          return chunk.data();
        }
        problem = "its content has sha256 " + actual;
      } catch (SnapshotMismatchException e) {
        problem = e.getMessage();
      }
    }
    throw new SnapshotMismatchException(
        "chunk " + sha256 + " is corrupt in remote storage (fetched twice): " + problem, null);
  }

  private static byte[] read(Map<Path, FileChannel> sources, LocalChunks.Location at)
      throws IOException {
    FileChannel in;
    try {
      in =
          sources.computeIfAbsent(
              at.file(),
              p -> {
                try {
                  return FileChannel.open(p, StandardOpenOption.READ);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    byte[] data = new byte[at.length()];
    ByteBuffer b = ByteBuffer.wrap(data);
    while (b.hasRemaining()) {
      if (in.read(b, at.offset() + b.position()) < 0) {
        throw new IOException(at.file() + " ends before chunk at " + at.offset());
      }
    }
    return data;
  }

  /**
   * Writes the chunk's non-zero pages only: the file is all holes already, a hole reads as zeros,
   * and guest memory chunks are often mostly zero pages (page tables, sparse heaps).
   */
  private static void write(Target t, byte[] data, int length) throws IOException {
    int at = 0;
    while (at < length) {
      while (at < length && isZeroPage(data, at, length)) {
        at += PAGE;
      }
      int from = at;
      while (at < length && !isZeroPage(data, at, length)) {
        at += PAGE;
      }
      int to = Math.min(at, length);
      ByteBuffer b = ByteBuffer.wrap(data, from, to - from);
      while (b.hasRemaining()) {
        t.out().write(b, t.offset() + b.position());
      }
    }
  }

  private static boolean isZeroPage(byte[] data, int at, int length) {
    int end = Math.min(at + PAGE, length);
    return Arrays.mismatch(data, at, end, ZERO_PAGE, 0, end - at) < 0;
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
