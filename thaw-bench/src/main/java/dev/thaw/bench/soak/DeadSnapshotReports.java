package dev.thaw.bench.soak;

import dev.thaw.node.snapshot.DeadSnapshot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The dead snapshots a soak finds, each written out as it is found: a file {@code
 * dead-N-REVISION.txt} in the report directory with when the snapshot was made, when it was found
 * dead, the deadline its clone missed and the VMM's report (its output, the QMP state at the
 * deadline and the console tail), and a line saying so. Agents on several threads report here, so
 * every method is synchronized.
 */
public final class DeadSnapshotReports {
  private final Path dir;
  private final PrintStream out;
  private final List<DeadSnapshot> found = new ArrayList<>();

  /** Reports written to {@code dir} (which exists), lines printed to {@code out}. */
  public DeadSnapshotReports(Path dir, PrintStream out) {
    this.dir = dir;
    this.out = out;
  }

  /** Keeps {@code dead}, writes its report and says where. */
  public synchronized void record(DeadSnapshot dead) {
    found.add(dead);
    Path file = dir.resolve("dead-" + found.size() + "-" + dead.revision() + ".txt");
    try {
      Files.writeString(
          file,
          String.format(
              "revision %s, made %s, found at %s after %d ms%n%n%s%n",
              dead.revision(),
              dead.createdAt(),
              dead.phase(),
              dead.deadline().toMillis(),
              dead.failure().getMessage()));
    } catch (IOException e) {
      out.println("  cannot write " + file + ": " + e.getMessage());
    }
    out.printf(
        "  DEAD snapshot %s (%s): its clone did not answer within %d ms; report in %s%n",
        dead.revision(), dead.phase(), dead.deadline().toMillis(), file);
  }

  /** The dead snapshots found so far, in the order they were found. */
  public synchronized List<DeadSnapshot> found() {
    return List.copyOf(found);
  }
}
