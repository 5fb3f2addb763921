package dev.thaw.node.snapshot.fill;

import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * The order a lazy fill takes a snapshot's distinct non-zero chunks in, as three sets, each in pack
 * order so that neighbours come with one ranged read (each set is waited for whole anyway).
 *
 * @param beforeStart the chunks of every file but the memory file: the device state, and the disk
 *     layer of a function from an image, which QEMU reads as plain files from its start
 * @param firstClone the other chunks of the memory file the snapshot's first clone read
 * @param rest every other chunk
 */
record FillOrder(List<String> beforeStart, List<String> firstClone, List<String> rest) {
  FillOrder {
    beforeStart = List.copyOf(beforeStart);
    firstClone = List.copyOf(firstClone);
    rest = List.copyOf(rest);
  }

  /** The order of {@code manifest}'s chunks; {@code packOffset} is -1 for a chunk not in a pack. */
  static FillOrder of(SnapshotManifest manifest, ToLongFunction<String> packOffset) {
    Set<String> before = new LinkedHashSet<>();
    Set<String> touched = new LinkedHashSet<>();
    Set<String> all = new LinkedHashSet<>();
    for (SnapshotFile f : manifest.files()) {
      ChunkList chunks = f.chunks();
      for (String d : chunks.sha256()) {
        if (d != null) {
          all.add(d);
          if (f.role() != SnapshotFile.Role.MEMORY) {
            before.add(d);
          }
        }
      }
      if (f.role() == SnapshotFile.Role.MEMORY) {
        for (int i : chunks.firstTouch()) {
          if (!chunks.isZero(i)) {
            touched.add(chunks.sha256().get(i));
          }
        }
      }
    }
    touched.removeAll(before);
    all.removeAll(before);
    all.removeAll(touched);
    Comparator<String> inPack = Comparator.comparingLong(packOffset);
    return new FillOrder(sorted(before, inPack), sorted(touched, inPack), sorted(all, inPack));
  }

  private static List<String> sorted(Set<String> chunks, Comparator<String> order) {
    List<String> list = new ArrayList<>(chunks);
    list.sort(order);
    return list;
  }

  /** Every chunk: before the start, the first clone's, the rest. */
  List<String> all() {
    List<String> all = new ArrayList<>(beforeStart);
    all.addAll(firstClone);
    all.addAll(rest);
    return all;
  }
}
