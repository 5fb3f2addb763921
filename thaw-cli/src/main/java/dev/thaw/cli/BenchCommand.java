package dev.thaw.cli;

import picocli.CommandLine.Command;

/** {@code thaw bench …}: measurements that print ratios measured side by side in one run. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that measure Thaw side by side in one run.",
    subcommands = {
      BenchVmCommand.class,
      BenchSnapshotsCommand.class,
      BenchRemoteCommand.class,
      BenchTraceCommand.class,
      BenchSoakCommand.class,
      BenchWarmCommand.class,
      BenchImagesCommand.class,
      BenchLogsCommand.class,
      BenchLoadCommand.class,
      BenchGenTraceCommand.class
    })
final class BenchCommand {}
