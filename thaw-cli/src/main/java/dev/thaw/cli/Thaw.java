package dev.thaw.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code thaw} command. */
@Command(
    name = "thaw",
    mixinStandardHelpOptions = true,
    version = "thaw 0.1.0",
    description = "Fast serverless cold starts from microVM snapshots.",
    subcommands = {
      DemoCommand.class,
      AgentCommand.class,
      GatewayCommand.class,
      SnapshotsCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Thaw {
  public static void main(String[] args) {
    System.exit(new CommandLine(new Thaw()).execute(args));
  }
}
