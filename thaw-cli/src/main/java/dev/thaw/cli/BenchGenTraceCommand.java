package dev.thaw.cli;

import dev.thaw.core.trace.SyntheticTrace;
import dev.thaw.core.trace.TraceFunction;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code thaw bench gen-trace}: a synthetic day in the Azure Functions 2019 format. */
@Command(
    name = "gen-trace",
    mixinStandardHelpOptions = true,
    description = "Writes a seeded synthetic trace in the Azure Functions 2019 format.")
final class BenchGenTraceCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      required = true,
      description = "Directory to write the three CSV files into.")
  Path out;

  @Option(
      names = "--functions",
      defaultValue = "200",
      description = "Functions (default: ${DEFAULT-VALUE}).")
  int functions;

  @Option(
      names = "--seed",
      defaultValue = "2019",
      description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    List<TraceFunction> fs = SyntheticTrace.write(out, functions, seed);
    long total = fs.stream().mapToLong(TraceFunction::total).sum();
    long rare = fs.stream().filter(f -> f.total() < TraceFunction.MINUTES).count();
    System.out.printf(
        "wrote %d functions, %d invocations over a day, to %s (%d functions run less than once a"
            + " minute on average)%n",
        fs.size(), total, out, rare);
    return 0;
  }
}
