package dev.thaw.node.snapshot.fill;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
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
  private final AtomicInteger fromPeers = new AtomicInteger();
  private final LongAdder peerBytes = new LongAdder();
  private final AtomicIntegerArray fallbacks = new AtomicIntegerArray(PeerFallback.values().length);

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

  /** A chunk of {@code bytes} received from a peer and verified. */
  void fromPeer(long bytes) {
    fromPeers.incrementAndGet();
    peerBytes.add(bytes);
  }

  /** Working pages of {@code bytes} a peer handed over with the start of a restore. */
  void pagesFromPeer(long bytes) {
    peerBytes.add(bytes);
  }

  /** A chunk asked of a peer that comes from storage instead, for {@code reason}. */
  void peerFellBack(PeerFallback reason) {
    fallbacks.incrementAndGet(reason.ordinal());
  }

  /** What moved so far; {@code zeroBytes} is the zero chunks', which never move. */
  ChunkAssembler.Transfer transfer(long zeroBytes) {
    return new ChunkAssembler.Transfer(
        fetched.get(),
        fetchedBytes.sum(),
        copied.get(),
        copiedBytes.sum(),
        refetches.get(),
        zeroBytes,
        fromPeers.get(),
        peerBytes.sum(),
        fallbacks());
  }

  private Map<PeerFallback, Integer> fallbacks() {
    Map<PeerFallback, Integer> m = new EnumMap<>(PeerFallback.class);
    for (PeerFallback r : PeerFallback.values()) {
      if (fallbacks.get(r.ordinal()) > 0) {
        m.put(r, fallbacks.get(r.ordinal()));
      }
    }
    return m;
  }
}
