package dev.thaw.cli;

import dev.thaw.node.protocol.LogLine;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code thaw logs NAME}: what a function's instances wrote, from every node. */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Prints what a function's instances wrote to stdout and stderr, from every node.",
      "Oldest first, each line with its time (when the node read it), node, instance and",
      "stream; instances that have stopped are included, within each node's cap (thaw agent",
      "--log-bytes)."
    })
final class LogsCommand implements Callable<Integer> {
  @Mixin GatewayOption gateway;

  @Parameters(index = "0", paramLabel = "NAME", description = "The function.")
  String name;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing new lines as they come (until interrupted).")
  boolean follow;

  @Option(
      names = "--since",
      converter = DurationConverter.class,
      paramLabel = "DURATION",
      description = "Only lines of the last DURATION, e.g. 10m, 1h.")
  Duration since;

  @Option(
      names = "--tail",
      paramLabel = "N",
      description = "Only the last N lines (before following).")
  Integer tail;

  @Option(
      names = "--poll",
      converter = DurationConverter.class,
      defaultValue = "1s",
      hidden = true,
      description = "How often --follow asks for new lines.")
  Duration poll;

  @Override
  public Integer call() throws InterruptedException {
    PrintStream out = System.out;
    try {
      GatewayClient client = gateway.client();
      long sinceNanos = since == null ? 0 : nanos(Instant.now().minus(since));
      GatewayClient.Logs page = client.logs(name, sinceNanos, Optional.ofNullable(tail), "");
      print(out, page);
      while (follow) {
        Thread.sleep(poll.toMillis());
        page = client.logs(name, sinceNanos, Optional.empty(), page.cursor());
        print(out, page);
      }
      return 0;
    } catch (GatewayClient.Failure e) {
      System.err.println("thaw logs: " + e.getMessage());
      return 1;
    }
  }

  private static void print(PrintStream out, GatewayClient.Logs page) {
    for (LogLine l : page.lines()) {
      out.println(format(l));
    }
    page.unreachable()
        .forEach(
            (node, why) -> System.err.println("thaw logs: node " + node + " not read: " + why));
    out.flush();
  }

  /** {@code 2026-12-06T21:10:00.123Z node-1 INSTANCE stdout TEXT}. */
  static String format(LogLine l) {
    Instant t =
        Instant.ofEpochSecond(l.time() / 1_000_000_000L, l.time() % 1_000_000_000L)
            .truncatedTo(ChronoUnit.MILLIS);
    return t + " " + l.node() + " " + l.instance() + " " + l.stream() + " " + l.text();
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }
}
