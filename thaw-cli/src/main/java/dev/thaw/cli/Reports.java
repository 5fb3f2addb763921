package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** What the commands that write reports share: where the numbers came from, and CSV fields. */
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

  /** A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
  static String csvField(String value) {
    if (value.contains(",") || value.contains("\"") || value.contains("\n")) {
      return "\"" + value.replace("\"", "\"\"") + "\"";
    }
    return value;
  }
}
