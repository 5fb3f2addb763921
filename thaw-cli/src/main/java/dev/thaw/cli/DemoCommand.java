package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.bench.demo.DemoConfiguration;
import dev.thaw.bench.demo.DemoResults;
import dev.thaw.bench.demo.DemoRounds;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.http.BearerToken;
import dev.thaw.image.ExampleImages;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.qemu.GuestImage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code thaw demo}: a serverless cluster on this machine — the embedded S3 server, node agents as
 * separate processes and the gateway — replaying the thesis' evaluation pattern under its five
 * configurations, and a table of cold-start latency. It opens the guest image, the Python image,
 * the embedded S3 server and the cluster's token; {@link DemoRounds} runs the demo on them, and
 * this prints its results and writes its CSV and report.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a serverless cluster on this machine and compares five snapshot configurations.",
      "Starts the embedded S3 server, N node agents and the gateway, deploys four built-in",
      "functions and a Python function from an OCI image the project builds (python),",
      "and replays rounds of invocations separated by silence (so every",
      "invocation is a cold start) under five configurations: no snapshots, local snapshots,",
      "remote without cache, remote cached, and remote cached with snapshot-aware placement."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      defaultValue = "2",
      description = "Node agents (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--rounds",
      defaultValue = "4",
      description =
          "Rounds of invocations per configuration; the first creates the snapshots (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--keep-alive",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description =
          "Agents' keep-alive; silence between rounds outlasts it (default: ${DEFAULT-VALUE}).")
  Duration keepAlive;

  @Option(
      names = "--seed",
      defaultValue = "2026",
      description = "Seed of placement tie-breaks (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--vmm-pool",
      defaultValue = "4",
      description =
          "QEMUs each agent keeps started ahead for restores of built-in functions (default:"
              + " ${DEFAULT-VALUE}, one per built-in function of a round, so that no restore of a"
              + " round starts one; 0 starts a QEMU per restore).")
  int vmmPool;

  @Option(
      names = "--vmm-staged",
      defaultValue = "4",
      description =
          "Restores each agent keeps staged ahead on its pool's QEMUs, the snapshots it restored"
              + " last loaded again and paused for their next cold start (default: ${DEFAULT-VALUE};"
              + " 0: every restore binds a pooled QEMU and loads the state when invoked).")
  int vmmStaged;

  @Option(
      names = "--out",
      defaultValue = "thaw-demo-results",
      description = "Directory for the per-invocation CSV (default: ${DEFAULT-VALUE}).")
  Path out;

  private final PrintStream console = System.out;

  /** The demo's functions by name; {@code thaw bench soak} cycles the same ones. */
  static final Map<String, FunctionSpec> FUNCTIONS = DemoRounds.FUNCTIONS;

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || rounds < 2) {
      throw new IllegalArgumentException("need --nodes >= 1 and --rounds >= 2");
    }
    long t0 = System.nanoTime();
    GuestImage.ensure(console::println);
    ImageDeployment python =
        ImageDeployment.of(ExampleImages.ensure(console::println).python().toString());
    Path root = Files.createTempDirectory("thaw-demo-");
    // Ctrl-C: the agents get SIGTERM from their parent-death signal and stop their VMs;
    // this removes their data.
    Thread cleanup = new Thread(() -> FileTrees.deleteQuietly(root), "thaw-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    DemoResults results;
    // The agents' management token, in the demo's data directory (0600), gone with it.
    BearerToken token = TokenFile.readOrCreate(root.resolve("token"));
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"))) {
      console.printf(
          "thaw demo: %d nodes, %d functions, %d rounds x %d configurations, a pool of %d started"
              + " QEMU(s) and %d staged restore(s) per node; embedded S3 at %s%n",
          nodes,
          DemoRounds.REVISIONS.size(),
          rounds,
          DemoConfiguration.ALL.size(),
          vmmPool,
          vmmStaged,
          s3.endpoint());
      DemoRounds demo =
          new DemoRounds(
              new DemoRounds.Shape(nodes, rounds, keepAlive, seed, vmmPool, vmmStaged),
              new DemoRounds.ObjectStore(s3.store(), s3.endpoint(), s3.credentials()),
              token,
              python,
              console,
              t0);
      results = demo.run(root, out.resolve("logs"));
    } finally {
      FileTrees.deleteQuietly(root);
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
    Path csv = results.writeCsv(out);
    console.println();
    console.printf(
        "cold-start latency, rounds 2..%d (round 1 boots every function to create its snapshot)%n",
        rounds);
    console.print(results.table());
    LatencyReport report =
        new LatencyReport("thaw demo: cold-start latency, rounds 2.." + rounds)
            .provenance(Reports.provenance(spec, csv));
    for (DemoConfiguration c : results.configurations()) {
      report.add(c.name(), results.coldStartMs(c));
    }
    Path page = report.write(out);
    console.printf(
        "%nper-invocation results: %s (%d invocations, %.0f s)%nagents' logs: %s%nreport with"
            + " plots: %s%n",
        csv.toAbsolutePath(),
        results.invocations().size(),
        (System.nanoTime() - t0) / 1e9,
        out.resolve("logs").toAbsolutePath(),
        page.toAbsolutePath());
    return results.anyFailed() ? 1 : 0;
  }
}
