package dev.thaw.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code thaw delete}: the gateway and its nodes forget a function; its instances stop. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = "Deletes a function: the gateway and every node forget it; its instances stop.")
final class DeleteCommand implements Callable<Integer> {
  @Mixin GatewayOption gateway;

  @Parameters(index = "0", paramLabel = "NAME", description = "The function's name.")
  String name;

  @Override
  public Integer call() {
    try {
      JsonNode answer = gateway.client().delete(name);
      List<String> nodes = new ArrayList<>();
      for (Map.Entry<String, JsonNode> n : answer.path("nodes").properties()) {
        nodes.add(n.getKey() + ": " + n.getValue().asString(""));
      }
      System.out.printf("deleted %s (%s)%n", name, String.join("; ", nodes));
      return 0;
    } catch (GatewayClient.Failure e) {
      System.err.println("thaw delete: " + e.getMessage());
      return 1;
    }
  }
}
