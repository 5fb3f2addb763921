package dev.thaw.cli;

import dev.thaw.bench.demo.DemoRounds;
import dev.thaw.bench.load.LoadFigures;
import dev.thaw.bench.load.LoadRounds;
import dev.thaw.core.io.FileTrees;
import dev.thaw.http.BearerToken;
import dev.thaw.qemu.GuestImage;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thaw bench load}: sustained warm traffic through the gateway beside the same traffic
 * straight to the guests, then a cold burst. The bench runs in {@link LoadRounds}; this command
 * checks the options, opens the embedded S3 server and the token, and prints what it measured.
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = {
      "Sends sustained warm load through the gateway and straight to the guests, then a cold"
          + " burst.",
      "Warm: --clients clients send back to back for --duration per path, in turns, to one",
      "warm instance each; prints req/s, p50, p99, errors and the gateway ÷ direct ratios.",
      "Cold: --burst requests at once to a function with no instance on 2 nodes of",
      "--max-instances slots, its snapshot in remote storage only; prints the answers and",
      "each node's snapshot fetches."
    })
final class BenchLoadCommand implements Callable<Integer> {
  @Option(
      names = "--clients",
      defaultValue = "16",
      description = "Concurrent clients, and warm instances (1 to 64). Default: ${DEFAULT-VALUE}.")
  int clients;

  @Option(
      names = "--duration",
      defaultValue = "20s",
      converter = DurationConverter.class,
      description = "Timed load per path (4 s to 120 s). Default: ${DEFAULT-VALUE}.")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "240s",
      converter = DurationConverter.class,
      description =
          "Untimed load per path first, at most this long (0 to 300 s): in turns of 10 s per"
              + " path until the JIT compilers take at most 3% of the gateway path's CPU, so"
              + " that every path runs compiled code, as long-running processes do. Default:"
              + " ${DEFAULT-VALUE}.")
  Duration warmup;

  @Option(
      names = "--burst",
      defaultValue = "20",
      description = "Requests of the cold burst (1 to 100). Default: ${DEFAULT-VALUE}.")
  int burst;

  @Option(
      names = "--max-instances",
      defaultValue = "4",
      description =
          "Instance slots per node in the cold burst (1 to 16). Default: ${DEFAULT-VALUE}.")
  int maxInstances;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    LoadRounds.Shape shape = shape();
    GuestImage.ensure(out::println);
    Path root = Files.createTempDirectory("thaw-bench-load-");
    LoadFigures figures;
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"))) {
      out.printf(
          "thaw bench load: %d clients for %d s per path (after %d s untimed), then a burst of"
              + " %d%n",
          clients, duration.toSeconds(), warmup.toSeconds(), burst);
      figures =
          new LoadRounds(
                  shape,
                  new DemoRounds.ObjectStore(s3.store(), s3.endpoint(), s3.credentials()),
                  BearerToken.generate(),
                  out)
              .run(root);
    } finally {
      FileTrees.deleteQuietly(root);
    }
    out.println();
    out.print(figures.table());
    return 0;
  }

  /** The options as the bench's shape, each checked against its bounds. */
  LoadRounds.Shape shape() {
    within("--clients", clients, 1, 64);
    within("--burst", burst, 1, 100);
    within("--max-instances", maxInstances, 1, 16);
    seconds("--duration", duration, 4, 120);
    seconds("--warmup", warmup, 0, 300);
    return new LoadRounds.Shape(clients, duration, warmup, burst, maxInstances);
  }

  private static void seconds(String option, Duration value, long min, long max) {
    if (value.compareTo(Duration.ofSeconds(min)) < 0
        || value.compareTo(Duration.ofSeconds(max)) > 0) {
      throw new IllegalArgumentException(
          option + " must be within " + min + " s and " + max + " s: " + value.toMillis() + " ms");
    }
  }

  private static void within(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          option + " must be within " + min + ".." + max + ": " + value);
    }
  }
}
