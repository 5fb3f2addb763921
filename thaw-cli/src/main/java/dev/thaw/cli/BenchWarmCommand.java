package dev.thaw.cli;

import static dev.thaw.bench.warm.WarmInvocationRounds.GATEWAY;
import static dev.thaw.bench.warm.WarmInvocationRounds.GUEST;
import static dev.thaw.bench.warm.WarmInvocationRounds.keptAlive;
import static dev.thaw.bench.warm.WarmInvocationRounds.newConnection;

import dev.thaw.bench.LatencyReport;
import dev.thaw.bench.TextTable;
import dev.thaw.bench.TextTable.Column;
import dev.thaw.bench.warm.WarmInvocationRounds;
import dev.thaw.core.bench.Bench;
import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code thaw bench warm}: a warm invocation straight to the guest, through the agent, and through
 * the gateway, each on kept-alive and on new connections, interleaved in one run.
 */
@Command(
    name = "warm",
    mixinStandardHelpOptions = true,
    description = {
      "Times warm invocations straight to the guest, through the agent and the gateway.",
      "Each path is timed on a kept-alive connection and on a new connection per request,",
      "interleaved; prints medians and what each hop adds over the guest."
    })
final class BenchWarmCommand implements Callable<Integer> {
  @Option(
      names = "--function",
      defaultValue = "hello",
      description = "Built-in function to invoke (hello, stateful). Default: ${DEFAULT-VALUE}.")
  String functionId;

  @Option(
      names = "--requests",
      defaultValue = "300",
      description =
          "Requests per path and connection kind (at least 20). Default: ${DEFAULT-VALUE}.")
  int requests;

  @Option(
      names = "--warmup",
      defaultValue = "2000",
      description =
          "Untimed rounds first, so that every path runs compiled code, as a long-running"
              + " gateway does. Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--report", description = "Write a report (HTML, PNG plots, CSV) into DIR.")
  Path reportDir;

  @Mixin JsonOutput json;

  @Spec CommandSpec spec;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    FunctionSpec function =
        BuiltinFunctions.byId(functionId)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "--function must be a built-in function: '" + functionId + "'"));
    if (requests < 20) {
      throw new IllegalArgumentException("--requests must be at least 20: " + requests);
    }
    if (warmup < 0) {
      throw new IllegalArgumentException("--warmup must not be negative: " + warmup);
    }
    Path root = Files.createTempDirectory("thaw-bench-warm-");
    try {
      return run(function, root);
    } finally {
      FileTrees.deleteQuietly(root);
    }
  }

  private int run(FunctionSpec function, Path root) throws Exception {
    GuestImage image = GuestImage.ensure(out::println);
    QemuVmm vmm = QemuVmm.builder().image(image).workRoot(root.resolve("vms")).build();
    out.printf(
        "thaw bench warm: %s on %s; %d requests per path and connection kind%n",
        function.id(), vmm.identity(), requests);
    Map<String, List<Double>> ms =
        new WarmInvocationRounds(vmm, image.digests(), root, out)
            .measure(function, requests, warmup);
    return report(function, vmm.identity().toString(), ms);
  }

  private int report(FunctionSpec function, String vmmIdentity, Map<String, List<Double>> ms)
      throws IOException {
    LatencyReport report =
        new LatencyReport("thaw bench warm: warm invocations of " + function.id())
            .provenance(Reports.provenance(spec, null));
    ms.forEach(report::add);
    Map<String, LatencySummary> s = report.summaries();
    double gatewayOverGuest = s.get(keptAlive(GATEWAY)).p50() - s.get(keptAlive(GUEST)).p50();
    out.println();
    out.print(table(s));
    out.printf(
        Locale.ROOT,
        "through the gateway on kept-alive connections: guest + %.2f ms at the median%n",
        gatewayOverGuest);
    if (reportDir != null) {
      out.println("wrote " + report.write(reportDir));
    }
    if (json.file != null) {
      Files.writeString(
          json.file, BenchResultCodec.write(result(function, vmmIdentity, s, gatewayOverGuest)));
      out.println("wrote " + json.file);
    }
    return 0;
  }

  /**
   * Each row's median, p90 and p99, and what its median adds over the guest's on the same kind of
   * connection.
   */
  static String table(Map<String, LatencySummary> rows) {
    double guestKept = rows.get(keptAlive(GUEST)).p50();
    double guestNew = rows.get(newConnection(GUEST)).p50();
    TextTable t =
        TextTable.of(
            Column.left("warm invocation", 28),
            Column.right("median ms", 10),
            Column.right("p90 ms", 10),
            Column.right("p99 ms", 10),
            Column.right("+ over guest", 14));
    rows.forEach(
        (name, x) ->
            t.row(
                name,
                String.format(Locale.ROOT, "%.2f", x.p50()),
                String.format(Locale.ROOT, "%.2f", x.p90()),
                String.format(Locale.ROOT, "%.2f", x.p99()),
                String.format(
                    Locale.ROOT,
                    "%+.2f",
                    x.p50() - (name.endsWith(keptAlive("")) ? guestKept : guestNew))));
    return t.render();
  }

  /** The run's JSON document: each path's rows, and the gateway's cost over the guest. */
  static BenchResult result(
      FunctionSpec function,
      String vmmIdentity,
      Map<String, LatencySummary> rows,
      double gatewayOverGuest) {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("function", function.id());
    facts.put("vmm", vmmIdentity);
    facts.put("gatewayOverGuestKeptAliveMs", gatewayOverGuest);
    List<BenchRow> r = new ArrayList<>();
    rows.forEach((name, x) -> r.add(BenchRow.of(name, x)));
    return BenchResult.ofThisMachine(Bench.WARM, facts, r);
  }
}
