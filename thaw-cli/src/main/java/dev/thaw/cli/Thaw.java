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
      ServeCommand.class,
      DeployCommand.class,
      InvokeCommand.class,
      FunctionsCommand.class,
      LogsCommand.class,
      DeleteCommand.class,
      AgentCommand.class,
      GatewayCommand.class,
      ExtenderCommand.class,
      LauncherCommand.class,
      SnapshotsCommand.class,
      ImageCommand.class,
      BenchCommand.class,
      SimulateCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Thaw {
  public static void main(String[] args) {
    // Remote restores read up to 8 ranges of a pack at once over plain HTTP connections; the
    // JDK keeps only 5 idle ones per server by default, so every burst would reopen the rest.
    if (System.getProperty("http.maxConnections") == null) {
      System.setProperty("http.maxConnections", "32");
    }
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line, with defaults also read from a properties file: {@code $THAW_CONFIG}, else
   * {@code ~/.thaw.properties}. Keys are option names without dashes ({@code
   * cache-capacity=20GiB}), optionally qualified by the command ({@code
   * thaw.agent.keep-alive=30s}). Precedence: flags, then the file, then environment variables, then
   * built-in defaults.
   */
  static CommandLine commandLine() {
    String config = System.getenv("THAW_CONFIG");
    if (config != null && !config.isBlank()) {
      System.setProperty("picocli.defaults.thaw.path", config);
    }
    return new CommandLine(new Thaw())
        .setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider());
  }
}
