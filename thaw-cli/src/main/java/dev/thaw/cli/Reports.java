package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** Where a report's numbers came from, as the commands that write reports say it. */
final class Reports {
  private Reports() {}

  /**
   * The command line as typed (options as given, defaults not repeated), this machine, and the
   * per-sample file the report is drawn from ({@code null}: none).
   */
  static LatencyReport.Provenance provenance(CommandSpec spec, Path csv) {
    CommandSpec root = spec;
    while (root.parent() != null) {
      root = root.parent();
    }
    StringBuilder command = new StringBuilder("thaw");
    root.commandLine().getParseResult().originalArgs().forEach(a -> command.append(' ').append(a));
    return new LatencyReport.Provenance(
        command.toString(), LatencyReport.Provenance.thisMachine(), csv);
  }
}
