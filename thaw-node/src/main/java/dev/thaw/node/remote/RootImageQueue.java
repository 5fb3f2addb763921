package dev.thaw.node.remote;

import dev.thaw.core.snapshot.ChunkList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The order in which a lazily served root image's chunks are fetched: a chunk a read waits for
 * first ({@link #hurry}), then the chunks a snapshot's first clone read ({@link #readFirst}), then,
 * once {@link #letRest} was called (the guest has answered), the rest in file order. Each distinct
 * non-zero chunk is handed out once; zero chunks are holes and never fetched.
 *
 * <p>Until {@link #letRest}, only hurried and first-read chunks are handed out, so the background
 * fill does not take the network and the cores from the restore it serves.
 */
final class RootImageQueue {
  private final LinkedHashSet<String> hurried = new LinkedHashSet<>();
  private final LinkedHashSet<String> first = new LinkedHashSet<>();
  private final LinkedHashSet<String> rest = new LinkedHashSet<>();
  private final Set<String> handedOut = new HashSet<>();
  private final List<String> byIndex;
  private boolean restAllowed;
  private boolean stopped;

  /** Every distinct non-zero chunk of {@code chunks}, in file order, waiting for the go-ahead. */
  RootImageQueue(ChunkList chunks) {
    this.byIndex = chunks.sha256();
    for (String d : byIndex) {
      if (d != null) {
        rest.add(d);
      }
    }
  }

  /**
   * Moves the chunks at {@code indexes} (in that order; unknown, zero or handed-out ones skipped)
   * ahead of the rest: they go before the guest has answered.
   */
  synchronized void readFirst(List<Integer> indexes) {
    for (int i : indexes) {
      if (i < 0 || i >= byIndex.size()) {
        continue;
      }
      String d = byIndex.get(i);
      if (d != null && rest.remove(d)) {
        first.add(d);
      }
    }
    notifyAll();
  }

  /**
   * Moves {@code sha256} to the front unless it was handed out already.
   *
   * @return whether it was still waiting
   */
  synchronized boolean hurry(String sha256) {
    if (handedOut.contains(sha256) || stopped) {
      return false;
    }
    first.remove(sha256);
    rest.remove(sha256);
    hurried.add(sha256);
    notifyAll();
    return true;
  }

  /** Lets the rest go: the guest has answered, or waited long enough. */
  synchronized void letRest() {
    restAllowed = true;
    notifyAll();
  }

  /** Hands out nothing more; {@link #next} returns empty from then on. */
  synchronized void stop() {
    stopped = true;
    notifyAll();
  }

  /**
   * The next chunk to fetch, waiting while only held-back chunks are left.
   *
   * @return empty once every chunk is handed out or the queue is stopped
   */
  synchronized Optional<String> next() throws InterruptedException {
    while (true) {
      if (stopped) {
        return Optional.empty();
      }
      Optional<String> d = take(hurried).or(() -> take(first));
      if (d.isEmpty() && restAllowed) {
        d = take(rest);
      }
      if (d.isPresent()) {
        handedOut.add(d.get());
        return d;
      }
      if (hurried.isEmpty() && first.isEmpty() && rest.isEmpty()) {
        return Optional.empty();
      }
      wait();
    }
  }

  private static Optional<String> take(LinkedHashSet<String> from) {
    Iterator<String> it = from.iterator();
    if (!it.hasNext()) {
      return Optional.empty();
    }
    String d = it.next();
    it.remove();
    return Optional.of(d);
  }
}
