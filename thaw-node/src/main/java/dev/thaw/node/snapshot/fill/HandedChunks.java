package dev.thaw.node.snapshot.fill;

import dev.thaw.core.io.Digests;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chunks a peer handed over with the start of a restore ({@link PeerStart}), asked before the other
 * peers and storage: each is handed to the fill only if its bytes match its name and the manifest's
 * length, and only once (the bytes are dropped as they are used). One that does not match counts as
 * a corrupt peer chunk, and storage supplies it.
 */
final class HandedChunks implements ChunkSource {
  private final Map<String, byte[]> chunks;
  private final Map<String, Integer> lengths;
  private final TransferTally tally;

  /**
   * @param lengths every chunk of the manifest with its length
   */
  HandedChunks(Map<String, byte[]> chunks, Map<String, Integer> lengths, TransferTally tally) {
    this.chunks = new ConcurrentHashMap<>(chunks);
    this.lengths = lengths;
    this.tally = tally;
  }

  @Override
  public List<String> supply(List<String> wanted, Sink sink) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String d : wanted) {
      byte[] data = chunks.remove(d);
      if (data == null) {
        missing.add(d);
      } else if (!Integer.valueOf(data.length).equals(lengths.get(d))
          || !Digests.sha256(data, 0, data.length).equals(d)) {
        tally.peerFellBack(PeerFallback.CORRUPT);
        missing.add(d);
      } else {
        tally.fromPeer(data.length);
        sink.put(d, data);
      }
    }
    return missing;
  }

  @Override
  public void close() {
    chunks.clear();
  }
}
