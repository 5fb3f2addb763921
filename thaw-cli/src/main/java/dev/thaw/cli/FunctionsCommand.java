package dev.thaw.cli;

import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.node.protocol.FunctionInfo;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code thaw functions}: what a running gateway has deployed. */
@Command(
    name = "functions",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the functions a running gateway has deployed.",
      "Each with its image and digest, the nodes whose cache holds its snapshot, and its",
      "warm instances."
    })
final class FunctionsCommand implements Callable<Integer> {
  @Mixin GatewayOption gateway;

  @Override
  public Integer call() {
    List<FunctionInfo> functions;
    try {
      functions = gateway.client().functions();
    } catch (GatewayClient.Failure e) {
      System.err.println("thaw functions: " + e.getMessage());
      return 1;
    }
    TextTable table =
        TextTable.of(
            Column.left("NAME", 20),
            Column.left("DIGEST", 20),
            Column.right("WARM", 4),
            Column.left("SNAPSHOT ON", 16),
            Column.left("IMAGE", 0));
    for (FunctionInfo f : functions) {
      table.row(
          f.name(),
          f.digest().isEmpty() ? "(built-in)" : shortDigest(f.digest()),
          f.warm(),
          f.snapshotOn().isEmpty() ? "-" : String.join(",", f.snapshotOn()),
          f.image().isEmpty() ? "-" : f.image());
    }
    System.out.print(table.render());
    return 0;
  }

  /** {@code sha256:} and the first 12 hex digits, as container tools show image ids. */
  static String shortDigest(String digest) {
    int colon = digest.indexOf(':');
    return digest.substring(0, Math.min(digest.length(), colon + 13));
  }
}
