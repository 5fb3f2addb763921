package dev.thaw.qemu;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.vmm.VmSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores done ahead, up to {@code size}: after a snapshot was restored on this node, or made here
 * ({@link dev.thaw.core.vmm.Vmm#expectRestore}), a QEMU of the pool is given its memory file and
 * loaded with its device state in the pause that follows, and waits, paused, for the snapshot's
 * next cold start, which then only resumes it ({@code cont}) and reseeds the clone. A staged VM has
 * never run a guest instruction: the clone's own part of the restore (TCG translating the guest's
 * code, its first answer) is still the cold start's, and the clone is reseeded and given its own
 * key at resume like any other. What the cold start no longer waits for is binding the pooled QEMU
 * (the network, the memory file, the machine built: 10–15 ms in the demo) and loading the state
 * (2–4 ms).
 *
 * <p>What it guarantees:
 *
 * <ul>
 *   <li>a staged VM is handed out only for a snapshot of the same function whose memory and state
 *       files are the very files it was loaded from (the same file, size and modification time): a
 *       snapshot replaced, removed or rewritten is never served from an earlier staging;
 *   <li>at most {@code size} VMs are staged; staging one more closes the one least recently staged
 *       or used;
 *   <li>a staged VM whose files changed or vanished (the cache evicted the snapshot) or whose QEMU
 *       died is closed at the next {@link #sweep}, so that it pins no deleted file for long;
 *   <li>after {@link #close} every staged VM is closed.
 * </ul>
 *
 * <p>Staging runs on the pool's thread, in the pool's quiet ({@link VmmPool}): never beside a
 * restore under way.
 */
final class StagedRestores implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StagedRestores.class);

  /** The files a VM was loaded from, as the file system identifies them. */
  record Origin(Object memory, Object state, long stateSize, long stateModified) {
    static Optional<Origin> of(VmSnapshot s) {
      try {
        BasicFileAttributes m = Files.readAttributes(s.memoryFile(), BasicFileAttributes.class);
        BasicFileAttributes st = Files.readAttributes(s.stateFile(), BasicFileAttributes.class);
        if (m.fileKey() == null || st.fileKey() == null) {
          return Optional.empty(); // no identity to compare with: never staged
        }
        return Optional.of(
            new Origin(m.fileKey(), st.fileKey(), st.size(), st.lastModifiedTime().toMillis()));
      } catch (IOException e) {
        return Optional.empty();
      }
    }
  }

  /** What a staged VM serves: a snapshot of this function, from these files. */
  record Key(FunctionSpec function, Origin files) {}

  private record Staged(VmSnapshot snapshot, QemuMicroVm vm) {}

  private final int size;
  private final PooledStarts pool;

  /** Staged VMs, least recently staged or used first. */
  private final LinkedHashMap<Key, Staged> staged = new LinkedHashMap<>(16, 0.75f, true);

  /** Snapshots to stage, the most recently restored last. */
  private final LinkedHashMap<Key, VmSnapshot> wanted = new LinkedHashMap<>();

  private boolean closed;

  StagedRestores(int size, PooledStarts pool) {
    if (size < 1) {
      throw new IllegalArgumentException("staged restores are 1 or more: " + size);
    }
    this.size = size;
    this.pool = pool;
  }

  /**
   * The staged VM of {@code snapshot}, now the caller's, paused with the snapshot's state loaded;
   * empty when none is staged from these very files (or its QEMU died).
   */
  Optional<QemuMicroVm> take(VmSnapshot snapshot) {
    Optional<Origin> files = Origin.of(snapshot);
    if (files.isEmpty()) {
      return Optional.empty();
    }
    Staged s;
    synchronized (this) {
      s = staged.remove(new Key(snapshot.function(), files.get()));
    }
    if (s == null) {
      return Optional.empty();
    }
    if (!s.vm().isAlive()) {
      s.vm().close();
      return Optional.empty();
    }
    s.vm().controlKey(snapshot.controlKey());
    return Optional.of(s.vm());
  }

  /** Asks for {@code snapshot} (just restored) to be staged again, in the pool's next quiet. */
  void want(VmSnapshot snapshot) {
    Optional<Origin> files = Origin.of(snapshot);
    if (files.isEmpty()) {
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      Key key = new Key(snapshot.function(), files.get());
      wanted.remove(key);
      wanted.put(key, snapshot);
      while (wanted.size() > size) {
        wanted.remove(wanted.keySet().iterator().next());
      }
    }
  }

  /**
   * The pool's quiet work: closes what {@link #sweep} finds, then stages one ({@link #stageOne}).
   */
  boolean runOne() {
    sweep();
    return stageOne();
  }

  /** How many VMs are staged now. */
  synchronized int staged() {
    return staged.size();
  }

  /**
   * Stages the most recently wanted snapshot not staged yet, on an idle QEMU of the pool; whether
   * there was one to stage (false when none is wanted or no QEMU of its shape is idle: the pool
   * then starts one, and asks again).
   */
  boolean stageOne() {
    Key key;
    VmSnapshot snapshot;
    synchronized (this) {
      if (closed || wanted.isEmpty()) {
        return false;
      }
      List<Key> keys = new ArrayList<>(wanted.keySet());
      key = keys.get(keys.size() - 1);
      snapshot = wanted.get(key);
      if (staged.containsKey(key)) {
        wanted.remove(key);
        return true;
      }
      if (!pool.hasIdle(snapshot.function().vcpus())) {
        return false;
      }
      wanted.remove(key);
    }
    if (!Origin.of(snapshot).equals(Optional.of(key.files()))) {
      return true; // replaced or removed since it was restored
    }
    Optional<QemuMicroVm> bound = pool.take(snapshot.function(), snapshot.memoryFile());
    if (bound.isEmpty()) {
      return true;
    }
    QemuMicroVm vm = bound.get();
    try {
      long t0 = System.nanoTime();
      vm.loadState(snapshot.stateFile());
      log.debug(
          "staged a restore of {} on {} in {} µs",
          snapshot.function().id(),
          vm.id(),
          (System.nanoTime() - t0) / 1000);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot stage a restore of {}: {}", snapshot.function().id(), e.getMessage());
      vm.close();
      return true;
    }
    List<Staged> out = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        out.add(new Staged(snapshot, vm));
      } else {
        Staged before = staged.put(key, new Staged(snapshot, vm));
        if (before != null) {
          out.add(before);
        }
        while (staged.size() > size) {
          Iterator<Map.Entry<Key, Staged>> eldest = staged.entrySet().iterator();
          out.add(eldest.next().getValue());
          eldest.remove();
        }
      }
    }
    out.forEach(s -> s.vm().close());
    return true;
  }

  /** Closes every staged VM whose files changed or vanished, or whose QEMU died. */
  void sweep() {
    List<Map.Entry<Key, Staged>> all;
    synchronized (this) {
      all = new ArrayList<>(staged.entrySet());
    }
    List<Staged> out = new ArrayList<>();
    for (Map.Entry<Key, Staged> e : all) {
      Staged s = e.getValue();
      if (!s.vm().isAlive() || !Origin.of(s.snapshot()).equals(Optional.of(e.getKey().files()))) {
        synchronized (this) {
          if (staged.remove(e.getKey(), s)) {
            out.add(s);
          }
        }
      }
    }
    for (Staged s : out) {
      log.debug("closing the staged restore of {}: its snapshot changed", s.snapshot().function());
      s.vm().close();
    }
  }

  @Override
  public void close() {
    List<Staged> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(staged.values());
      staged.clear();
      wanted.clear();
    }
    all.forEach(s -> s.vm().close());
  }
}
