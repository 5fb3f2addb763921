package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.LatencyReport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ReportsTest {
  @Test
  void aReportNamesTheCommandLineAsTyped() {
    CommandLine thaw = new CommandLine(new Thaw());
    CommandLine.ParseResult parsed =
        thaw.parseArgs("bench", "remote", "--restores", "15", "--chunk-size", "256KiB");
    CommandLine.ParseResult remote = parsed.subcommand().subcommand();
    LatencyReport.Provenance p =
        Reports.provenance(remote.commandSpec(), Path.of("invocations.csv"));
    assertThat(p.command()).isEqualTo("thaw bench remote --restores 15 --chunk-size 256KiB");
    assertThat(p.machine()).contains("cores");
    assertThat(p.csv()).isEqualTo(Path.of("invocations.csv"));
  }
}
