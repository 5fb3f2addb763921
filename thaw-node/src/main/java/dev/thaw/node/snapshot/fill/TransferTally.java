package dev.thaw.node.snapshot.fill;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a fill has moved so far, counted by the sources and workers that move it (from many threads
 * at once) and read as a {@link ChunkAssembler.Transfer}.
 */
final class TransferTally {
  private final LongAdder fetchedBytes = new LongAdder();
  private final LongAdder copiedBytes = new LongAdder();
  private final AtomicInteger fetched = new AtomicInteger();
  private final AtomicInteger copied = new AtomicInteger();
  private final AtomicInteger refetches = new AtomicInteger();

  /** Bytes that crossed the network: a chunk, a run of a pack, the working pages, a bad copy. */
  void received(long storedBytes) {
    fetchedBytes.add(storedBytes);
  }

  /** A chunk downloaded and verified. */
  void fetched() {
    fetched.incrementAndGet();
  }

  /** A chunk fetched a second time after its first copy failed its check. */
  void refetched() {
    refetches.incrementAndGet();
  }

  /** A chunk of {@code bytes} copied from a local cache entry. */
  void copied(long bytes) {
    copied.incrementAndGet();
    copiedBytes.add(bytes);
  }

  /** What moved so far; {@code zeroBytes} is the zero chunks', which never move. */
  ChunkAssembler.Transfer transfer(long zeroBytes) {
    return new ChunkAssembler.Transfer(
        fetched.get(),
        fetchedBytes.sum(),
        copied.get(),
        copiedBytes.sum(),
        refetches.get(),
        zeroBytes);
  }
}
