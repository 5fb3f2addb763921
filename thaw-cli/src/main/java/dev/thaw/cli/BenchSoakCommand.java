package dev.thaw.cli;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.node.agent.Invocation;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.protocol.ColdStartReport;
import dev.thaw.node.snapshot.DeadSnapshot;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code thaw bench soak}: many snapshot cycles through the agent path, counting dead snapshots.
 *
 * <p>Each cycle deploys a new revision of a built-in function on one of the in-process agents and
 * drives it as the demo does: the first invocation boots it, the agent snapshots it after that
 * answer and verifies the snapshot with a clone; then the idle clone is stopped and a second
 * invocation cold-starts from the cached snapshot. Cycles of several functions run at once on
 * several agents, so snapshots are taken while other VMs boot and restore on the same cores. A
 * snapshot is dead when a clone of it does not answer within the restore deadline, whether that is
 * found when verifying it or when restoring it; each dead one is written out with the VMM's output,
 * the QMP state at the deadline and the guest console.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Counts dead snapshots over many snapshot cycles through node agents.",
      "Runs boot, snapshot, restore and invoke cycles, several at once, and reports each",
      "snapshot whose clones never answered with its QMP state and console."
    })
final class BenchSoakCommand implements Callable<Integer> {
  @Option(
      names = "--cycles",
      defaultValue = "200",
      description = "Cycles in all, shared among the functions. Default: ${DEFAULT-VALUE}.")
  int cycles;

  @Option(
      names = "--functions",
      split = ",",
      defaultValue = "hello,stateful,stateful-64,hello-small",
      description = "The demo's functions to cycle through. Default: ${DEFAULT-VALUE}.")
  List<String> functionIds;

  @Option(
      names = "--parallel",
      defaultValue = "3",
      description = "Cycles in flight at once, each on its own agent. Default: ${DEFAULT-VALUE}.")
  int parallel;

  @Option(
      names = "--out",
      defaultValue = "thaw-soak-results",
      description = "Where the report of each dead snapshot goes. Default: ${DEFAULT-VALUE}.")
  Path outDir;

  @Mixin JsonOutput json;

  private final PrintStream out = System.out;
  private final List<DeadSnapshot> dead = Collections.synchronizedList(new ArrayList<>());

  /** What one cycle saw. */
  record Cycle(
      String revision,
      String function,
      double bootMs,
      boolean snapshotted,
      String restoreSource,
      double restoreMs,
      String fallback) {}

  @Override
  public Integer call() throws Exception {
    List<FunctionSpec> functions = new ArrayList<>();
    for (String id : functionIds) {
      FunctionSpec f = DemoCommand.FUNCTIONS.get(id);
      if (f == null) {
        throw new IllegalArgumentException(
            "unknown function " + id + "; known: " + DemoCommand.FUNCTIONS.keySet());
      }
      functions.add(f);
    }
    if (cycles < 1 || parallel < 1 || parallel > 8) {
      throw new IllegalArgumentException("need --cycles >= 1 and --parallel within 1..8");
    }
    Path root = Files.createTempDirectory("thaw-bench-soak-");
    try {
      return run(functions, root);
    } finally {
      FileTrees.deleteQuietly(root);
    }
  }

  private int run(List<FunctionSpec> functions, Path root) throws Exception {
    GuestImage image = GuestImage.ensure(out::println);
    QemuVmm vmm = QemuVmm.builder().image(image).workRoot(root.resolve("vms")).build();
    SnapshotManifest.Guest guest = image.digests();
    Files.createDirectories(outDir);
    out.printf(
        "thaw bench soak: %d cycles of %s, %d at once, on %s%n",
        cycles, functionIds, parallel, vmm.identity());
    List<SnapshotNode> nodes = new ArrayList<>();
    List<NodeAgent> agents = new ArrayList<>();
    ExecutorService workers = Executors.newFixedThreadPool(parallel);
    List<Cycle> done = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger finished = new AtomicInteger();
    long t0 = System.nanoTime();
    try {
      for (int n = 0; n < parallel; n++) {
        SnapshotNode node =
            SnapshotNode.builder(vmm, guest, root.resolve("node-" + n))
                .manager(b -> b.onDeadSnapshot(this::recordDead))
                .build();
        nodes.add(node);
        agents.add(NodeAgent.builder().name("node-" + n).manager(node.manager()).build());
      }
      List<Future<?>> futures = new ArrayList<>();
      AtomicInteger next = new AtomicInteger();
      for (int w = 0; w < parallel; w++) {
        int slot = w;
        futures.add(
            workers.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < cycles; i = next.getAndIncrement()) {
                    FunctionSpec f = functions.get(i % functions.size());
                    Cycle c =
                        cycle(agents.get(slot), nodes.get(slot), f, "soak-" + f.id() + "-" + i);
                    done.add(c);
                    progress(finished.incrementAndGet(), c);
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
    return report(done, (System.nanoTime() - t0) / 1e9);
  }

  private Cycle cycle(NodeAgent agent, SnapshotNode node, FunctionSpec function, String revision)
      throws InterruptedException {
    agent.deploy(Revision.of(revision), function);
    Invocation first = agent.invoke(Revision.of(revision), "/");
    double bootMs = first.served().latency().toNanos() / 1e6;
    // The agent snapshots in the background, verifies with a clone, and pools whatever serves next.
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (agent.instances().stream().noneMatch(i -> i.revision().equals(revision) && !i.busy())
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    boolean snapshotted = node.cache().revisions().contains(revision);
    agent.stopIdle(Revision.of(revision));
    String source = "-";
    double restoreMs = 0;
    String fallback = "";
    if (snapshotted) {
      Invocation second = agent.invoke(Revision.of(revision), "/");
      ColdStartReport cold = second.served().coldStart().orElseThrow();
      source = cold.source().label();
      restoreMs = second.served().latency().toNanos() / 1e6;
      fallback = cold.fallback().orElse("");
    }
    agent.stopIdle(Revision.of(revision));
    node.cache().remove(revision);
    return new Cycle(revision, function.id(), bootMs, snapshotted, source, restoreMs, fallback);
  }

  private void recordDead(DeadSnapshot found) {
    int n = dead.size() + 1;
    dead.add(found);
    Path file = outDir.resolve("dead-" + n + "-" + found.revision() + ".txt");
    try {
      Files.writeString(
          file,
          String.format(
              "revision %s, made %s, found at %s after %d ms%n%n%s%n",
              found.revision(),
              found.createdAt(),
              found.phase(),
              found.deadline().toMillis(),
              found.failure().getMessage()));
    } catch (java.io.IOException e) {
      out.println("  cannot write " + file + ": " + e.getMessage());
    }
    out.printf(
        "  DEAD snapshot %s (%s): its clone did not answer within %d ms; report in %s%n",
        found.revision(), found.phase(), found.deadline().toMillis(), file);
  }

  private void progress(int n, Cycle c) {
    out.printf(
        Locale.ROOT,
        "[%3d/%d] %-22s boot %6.0f ms  snapshot %-8s restore %-6s %6.0f ms%s%n",
        n,
        cycles,
        c.revision(),
        c.bootMs(),
        c.snapshotted() ? "verified" : "refused",
        c.restoreSource(),
        c.restoreMs(),
        c.fallback().isEmpty() ? "" : "  fallback: " + c.fallback());
    out.flush();
  }

  private int report(List<Cycle> done, double seconds) {
    List<Double> boots = done.stream().map(Cycle::bootMs).toList();
    List<Double> restores =
        done.stream().filter(c -> c.restoreSource().equals("local")).map(Cycle::restoreMs).toList();
    long deadAtVerify = dead.stream().filter(d -> d.phase() == DeadSnapshot.Phase.VERIFY).count();
    long deadAtRestore = dead.size() - deadAtVerify;
    out.println();
    out.printf(Locale.ROOT, "%d cycles in %.0f s%n", done.size(), seconds);
    out.print(
        TextTable.of(Column.left("snapshots", 34), Column.right("count", 6))
            .row("made and verified by a clone", done.stream().filter(Cycle::snapshotted).count())
            .row("dead when verified (not committed)", deadAtVerify)
            .row("dead when restored from the cache", deadAtRestore)
            .render());
    LatencySummary boot = LatencySummary.of(boots);
    out.printf(
        Locale.ROOT,
        "boot + first answer:    median %.0f ms, p90 %.0f ms%n",
        boot.p50(),
        boot.p90());
    if (!restores.isEmpty()) {
      LatencySummary restore = LatencySummary.of(restores);
      out.printf(
          Locale.ROOT,
          "restore + first answer: median %.0f ms, p90 %.0f ms, max %.0f ms%n",
          restore.p50(),
          restore.p90(),
          restore.max());
    }
    out.printf("dead snapshots: %d of %d%n", dead.size(), done.size());
    json.write(
        doc -> {
          doc.put("cycles", done.size());
          doc.put("functions", functionIds);
          doc.put("parallel", parallel);
          doc.put("deadAtVerify", deadAtVerify);
          doc.put("deadAtRestore", deadAtRestore);
          doc.put("bootMs", boot);
          doc.put("restoreMs", restores.isEmpty() ? null : LatencySummary.of(restores));
        },
        out);
    return dead.isEmpty() ? 0 : 1;
  }
}
