package dev.thaw.cli;

import dev.thaw.bench.logs.LogsFigures;
import dev.thaw.bench.logs.LogsRounds;
import dev.thaw.core.io.FileTrees;
import dev.thaw.http.BearerToken;
import dev.thaw.image.ExampleImages;
import dev.thaw.node.protocol.ImageDeployment;
import dev.thaw.qemu.GuestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code thaw bench logs}: what a function flooding its output costs its neighbours. The bench runs
 * in {@link LogsRounds}; this command parses the options, opens the images, the embedded S3 server
 * and the token, and prints what the rounds measured.
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
    LogsRounds.Shape shape = new LogsRounds.Shape(floodMb, requests, logBytes, logRate);
    GuestImage.ensure(System.out::println);
    String image = ExampleImages.ensure(System.out::println).python().toString();
    Path root = Files.createTempDirectory("thaw-bench-logs-");
    BearerToken token = BearerToken.generate();
    LogsRounds.Outcome outcome;
    try (S3Options.Remote s3 = S3Options.embedded(root.resolve("s3"))) {
      ImageDeployment d =
          new ImageDeployment(image, null, null, null, null, null, null, null, 900, null);
      outcome =
          new LogsRounds(shape, s3.endpoint(), s3.credentials(), token, d, System.out).run(root);
    } finally {
      FileTrees.deleteQuietly(root);
    }
    if (outcome instanceof LogsRounds.FloodFailed f) {
      System.err.println("thaw bench logs: the flood answered " + f.status() + ": " + f.body());
      return 1;
    }
    LogsFigures figures = ((LogsRounds.Measured) outcome).figures();
    System.out.println(figures.table());
    System.out.print(figures.summary());
    return 0;
  }
}
