package dev.thaw.bench.soak;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.agent.Invocation;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.snapshot.SnapshotNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The run of {@code thaw bench soak}: many snapshot cycles through in-process node agents.
 *
 * <p>Each cycle deploys a new revision of a function on one of the agents and drives it as the demo
 * does: the first invocation boots it, the agent snapshots it after that answer and verifies the
 * snapshot with a clone; then the idle clone is stopped and a second invocation cold-starts from
 * the cached snapshot. Cycles of several functions run at once, each agent with one in flight, so
 * snapshots are taken while other VMs boot and restore on the same cores. A snapshot is dead when a
 * clone of it does not answer within the restore deadline, whether found when verifying it or when
 * restoring it; the {@link DeadSnapshotReports} write each one out as it is found. It prints a line
 * per cycle as it goes.
 */
public final class SoakRounds {
  /** How long a cycle waits at most for the agent to pool an idle instance after its snapshot. */
  private static final Duration SNAPSHOT_SETTLES = Duration.ofMinutes(5);

  /**
   * The soak's shape.
   *
   * @param functions the functions the cycles go through in turn
   * @param cycles cycles in all
   * @param parallel cycles in flight at once, each on an agent of its own
   */
  public record Shape(List<FunctionSpec> functions, int cycles, int parallel) {
    public Shape {
      functions = List.copyOf(functions);
      if (functions.isEmpty() || cycles < 1 || parallel < 1 || parallel > 8) {
        throw new IllegalArgumentException("need a function, cycles >= 1 and parallel within 1..8");
      }
    }
  }

  private final Vmm vmm;
  private final SnapshotManifest.Guest guest;
  private final DeadSnapshotReports dead;
  private final PrintStream out;

  /**
   * Rounds on {@code vmm} booting {@code guest}, the dead snapshots going to {@code dead}, a line
   * per cycle to {@code out}.
   */
  public SoakRounds(
      Vmm vmm, SnapshotManifest.Guest guest, DeadSnapshotReports dead, PrintStream out) {
    this.vmm = Objects.requireNonNull(vmm, "vmm");
    this.guest = Objects.requireNonNull(guest, "guest");
    this.dead = Objects.requireNonNull(dead, "dead");
    this.out = Objects.requireNonNull(out, "out");
  }

  /** Runs the cycles of {@code shape}, each agent's data in a directory of its own under root. */
  public SoakFigures run(Shape shape, Path root)
      throws IOException, InterruptedException, ExecutionException {
    List<SnapshotNode> nodes = new ArrayList<>();
    List<NodeAgent> agents = new ArrayList<>();
    ExecutorService workers = Executors.newFixedThreadPool(shape.parallel());
    List<SoakCycle> done = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger finished = new AtomicInteger();
    long t0 = System.nanoTime();
    try {
      for (int n = 0; n < shape.parallel(); n++) {
        SnapshotNode node =
            SnapshotNode.builder(vmm, guest, root.resolve("node-" + n))
                .manager(b -> b.onDeadSnapshot(dead::record))
                .build();
        nodes.add(node);
        agents.add(NodeAgent.builder().name("node-" + n).manager(node.manager()).build());
      }
      List<FunctionSpec> functions = shape.functions();
      List<Future<?>> futures = new ArrayList<>();
      AtomicInteger next = new AtomicInteger();
      for (int w = 0; w < shape.parallel(); w++) {
        NodeAgent agent = agents.get(w);
        SnapshotNode node = nodes.get(w);
        futures.add(
            workers.submit(
                () -> {
                  for (int i = next.getAndIncrement();
                      i < shape.cycles();
                      i = next.getAndIncrement()) {
                    FunctionSpec f = functions.get(i % functions.size());
                    SoakCycle c = cycle(agent, node, f, "soak-" + f.id() + "-" + i);
                    done.add(c);
                    out.println(c.progressLine(finished.incrementAndGet(), shape.cycles()));
                    out.flush();
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      workers.shutdownNow();
      for (NodeAgent a : agents) {
        a.close();
      }
      for (SnapshotNode n : nodes) {
        n.close();
      }
    }
    return new SoakFigures(done, dead.found(), (System.nanoTime() - t0) / 1e9);
  }

  private static SoakCycle cycle(
      NodeAgent agent, SnapshotNode node, FunctionSpec function, String revision)
      throws InterruptedException {
    Revision r = Revision.of(revision);
    agent.deploy(r, function);
    Invocation first = agent.invoke(r, "/");
    double bootMs = first.served().latency().toNanos() / 1e6;
    // The agent snapshots in the background, verifies with a clone, and pools whatever serves next.
    long deadline = System.nanoTime() + SNAPSHOT_SETTLES.toNanos();
    while (agent.instances().stream().noneMatch(i -> i.revision().equals(revision) && !i.busy())
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    boolean snapshotted = node.cache().revisions().contains(revision);
    agent.stopIdle(r);
    String source = "-";
    double restoreMs = 0;
    String fallback = "";
    if (snapshotted) {
      Invocation second = agent.invoke(r, "/");
      ColdStartReport cold = second.served().coldStart().orElseThrow();
      source = cold.source().label();
      restoreMs = second.served().latency().toNanos() / 1e6;
      fallback = cold.fallback().orElse("");
    }
    agent.stopIdle(r);
    node.cache().remove(revision);
    return new SoakCycle(revision, function.id(), bootMs, snapshotted, source, restoreMs, fallback);
  }
}
