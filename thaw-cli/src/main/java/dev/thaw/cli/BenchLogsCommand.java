package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.bench.cluster.LocalCluster;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.http.BearerToken;
import dev.thaw.image.ExampleImages;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.qemu.GuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thaw bench logs}: what a function flooding its output costs its neighbours. One node (a
 * real {@code thaw agent}) runs two functions from the project's Python image; the quiet one is
 * timed alone, while the noisy one writes {@code --flood-mb} MB to stdout, and alone again.
 */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Times a function's warm invocations beside a function flooding its stdout.",
      "The quiet function is timed alone, while the other writes --flood-mb MB on the same",
      "node, and alone again; prints the medians, their ratio, the rate the flood was read",
      "at and what the node kept of it against its cap."
    })
final class BenchLogsCommand implements Callable<Integer> {
  @Option(
      names = "--flood-mb",
      defaultValue = "100",
      description = "MB the noisy function writes. Default: ${DEFAULT-VALUE}.")
  int floodMb;

  @Option(
      names = "--requests",
      defaultValue = "200",
      description = "Timed invocations alone, before and after (each). Default: ${DEFAULT-VALUE}.")
  int requests;

  @Option(
      names = "--log-bytes",
      defaultValue = "8MiB",
      description = "The agent's cap of one function's logs. Default: ${DEFAULT-VALUE}.")
  String logBytes;

  @Option(
      names = "--log-rate",
      defaultValue = "1MiB",
      description = "The agent's read rate of one instance's output. Default: ${DEFAULT-VALUE}.")
  String logRate;

  @Override
  public Integer call() throws Exception {
    GuestImage.ensure(System.out::println);
    String image = ExampleImages.ensure(System.out::println).python().toString();
    Path root = Files.createTempDirectory("thaw-bench-logs-");
    BearerToken token = BearerToken.generate();
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"));
        LocalCluster cluster =
            LocalCluster.start(
                new LocalCluster.Config(
                    1,
                    root,
                    SnapshotMode.LOCAL,
                    true,
                    s3.endpoint(),
                    s3.credentials(),
                    Duration.ofMinutes(30),
                    4,
                    token),
                Map.of("THAW_LOG_BYTES", logBytes, "THAW_LOG_RATE", logRate))) {
      Gateway.Builder b = Gateway.builder().token(token);
      cluster.agents().forEach(b::node);
      try (Gateway gateway = b.build()) {
        Revision quiet = Revision.of("quiet");
        Revision noisy = Revision.of("noisy");
        ImageDeployment d =
            new ImageDeployment(image, null, null, null, null, null, null, null, 900, null);
        gateway.deployEverywhere(quiet, d, Duration.ofMinutes(10));
        gateway.deployEverywhere(noisy, d, Duration.ofMinutes(10));
        System.out.println("warming both functions up (a boot, a snapshot, a warm clone each)");
        warm(gateway, quiet);
        warm(gateway, noisy);
        // Untimed rounds, so that the gateway's and the agent's paths run compiled code.
        time(gateway, quiet, 1000);

        List<Double> before = time(gateway, quiet, requests);
        System.out.printf("alone: %d invocations timed%n", before.size());
        long t0 = System.nanoTime();
        CompletableFuture<Gateway.Result> flood =
            CompletableFuture.supplyAsync(
                () -> gateway.invoke(noisy, "/flood?wait=1&mb=" + floodMb));
        List<Double> during = new ArrayList<>();
        while (!flood.isDone()) {
          during.addAll(time(gateway, quiet, 10));
          if (during.size() % 1000 == 0) {
            System.out.printf(
                "flooding: %d s, %d invocations timed meanwhile%n",
                (System.nanoTime() - t0) / 1_000_000_000L, during.size());
          }
        }
        double floodSeconds = (System.nanoTime() - t0) / 1e9;
        Gateway.Result r = flood.join();
        if (r.status() != 200) {
          System.err.println("thaw bench logs: the flood answered " + r.status() + ": " + r.body());
          return 1;
        }
        stderrOf(root, "noisy").forEach(l -> System.out.println("noisy's stderr: " + l));
        List<Double> after = time(gateway, quiet, requests);
        List<Double> alone = new ArrayList<>(before);
        alone.addAll(after);
        LatencyReport report =
            new LatencyReport("thaw bench logs: a quiet function's warm invocations")
                .add("alone", alone)
                .add("beside a flood", during);
        System.out.println(report.textTable());
        LatencySummary a = LatencySummary.of(alone);
        LatencySummary f = LatencySummary.of(during);
        long kept = logBytes(root, "noisy");
        long[] lost = lostLines(root, "noisy");
        System.out.printf(
            Locale.ROOT,
            "p50 beside the flood ÷ alone: %.3f (%.2f vs %.2f ms; alone before %.2f, after %.2f)%n"
                + "flood: %d MB written in %.0f s (%.2f MB/s; the guest holds what is not read yet); the node keeps %.2f MiB of"
                + " its logs (cap %s): %d flood lines, %d missing between the first and the last"
                + " (numbers %d to %d, read over %.1f s: %.2f MB/s, the read rate)%n",
            f.p50() / a.p50(),
            f.p50(),
            a.p50(),
            LatencySummary.of(before).p50(),
            LatencySummary.of(after).p50(),
            floodMb,
            floodSeconds,
            floodMb / floodSeconds,
            kept / (double) (1 << 20),
            logBytes,
            lost[0],
            lost[1],
            lost[2],
            lost[3],
            lost[4] / 1e9,
            lost[0] * 100 / 1e6 / Math.max(1e-9, lost[4] / 1e9));
        return 0;
      }
    } finally {
      FileTrees.deleteQuietly(root);
    }
  }

  private static void warm(Gateway gateway, Revision revision) throws InterruptedException {
    // The first call boots; the snapshot is taken and verified behind it; later calls are warm.
    for (int i = 0; i < 40; i++) {
      Gateway.Result r = gateway.invoke(revision, "/");
      if (r.status() != 200) {
        throw new IllegalStateException(revision + " answered " + r.status() + ": " + r.body());
      }
      Thread.sleep(i < 5 ? 2000 : 50);
    }
  }

  private static List<Double> time(Gateway gateway, Revision revision, int n) {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      Gateway.Result r = gateway.invoke(revision, "/");
      ms.add((System.nanoTime() - t) / 1e6);
      if (r.status() != 200) {
        throw new IllegalStateException(revision + " answered " + r.status() + ": " + r.body());
      }
    }
    return ms;
  }

  /**
   * The flood lines the node keeps of {@code function} ({@code flood NUMBER …}) and how many
   * numbers between the first and the last kept are missing: lines lost on the way.
   */
  private static long[] lostLines(Path root, String function) throws IOException {
    java.util.BitSet seen = new java.util.BitSet();
    long count = 0;
    java.util.regex.Pattern n = java.util.regex.Pattern.compile("\"m\":\"flood (\\d{10}) ");
    java.util.regex.Pattern t = java.util.regex.Pattern.compile("\"t\":(\\d+)");
    long firstT = Long.MAX_VALUE;
    long lastT = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p :
          files
              .filter(f -> f.toString().contains("/logs/"))
              .filter(f -> f.getParent().getFileName().toString().equals(function))
              .filter(Files::isRegularFile)
              .toList()) {
        for (String line : Files.readAllLines(p)) {
          java.util.regex.Matcher m = n.matcher(line);
          java.util.regex.Matcher time = t.matcher(line);
          if (m.find() && time.find()) {
            seen.set(Integer.parseInt(m.group(1)));
            count++;
            firstT = Math.min(firstT, Long.parseLong(time.group(1)));
            lastT = Math.max(lastT, Long.parseLong(time.group(1)));
          }
        }
      }
    }
    if (seen.isEmpty()) {
      return new long[] {0, 0, 0, 0, 0};
    }
    int first = seen.nextSetBit(0);
    int last = seen.length() - 1;
    return new long[] {count, (last - first + 1) - seen.cardinality(), first, last, lastT - firstT};
  }

  /** The first lines {@code function} wrote to stderr that the node keeps. */
  private static List<String> stderrOf(Path root, String function) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p :
          files
              .filter(f -> f.toString().contains("/logs/"))
              .filter(f -> f.getParent().getFileName().toString().equals(function))
              .filter(Files::isRegularFile)
              .toList()) {
        Files.readAllLines(p).stream()
            .filter(l -> l.contains("\"s\":\"stderr\""))
            .limit(20)
            .forEach(out::add);
      }
    }
    return out;
  }

  /** Bytes the node keeps of {@code function}'s logs. */
  private static long logBytes(Path root, String function) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(p -> p.toString().contains("/logs/"))
          .filter(p -> p.getParent().getFileName().toString().equals(function))
          .filter(Files::isRegularFile)
          .mapToLong(p -> p.toFile().length())
          .sum();
    }
  }
}
