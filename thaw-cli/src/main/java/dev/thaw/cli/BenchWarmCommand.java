package dev.thaw.cli;

import dev.thaw.bench.LatencyReport;
import dev.thaw.core.bench.Bench;
import dev.thaw.core.bench.BenchResult;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.bench.BenchRow;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.FileTrees;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.http.BearerToken;
import dev.thaw.node.agent.AgentServer;
import dev.thaw.node.agent.NodeAgent;
import dev.thaw.node.gateway.Gateway;
import dev.thaw.node.gateway.GatewayServer;
import dev.thaw.node.protocol.InstanceInfo;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

  /** The paths timed, by name. */
  static final String GUEST = "guest";

  static final String AGENT = "agent";
  static final String GATEWAY = "gateway";

  /** The row of {@code path} on kept-alive connections. */
  static String keptAlive(String path) {
    return path + ", kept alive";
  }

  /** The row of {@code path} on a new connection per request. */
  static String newConnection(String path) {
    return path + ", new connection";
  }

  /** One path timed; {@code headers} are extra header lines, each ending in CRLF. */
  private record Path3(String name, URI base, String method, String target, String headers) {}

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
    Revision revision = Revision.of(function.id());
    BearerToken token = BearerToken.generate();
    try (SnapshotNode node =
            SnapshotNode.builder(vmm, image.digests(), root.resolve("node"))
                .manager(b -> b.mode(SnapshotMode.LOCAL))
                .build();
        NodeAgent agent =
            NodeAgent.builder()
                .name("node-1")
                .manager(node.manager())
                .keepAlive(Duration.ofMinutes(30))
                .maxInstances(1)
                .build();
        AgentServer agentServer =
            AgentServer.start(agent, 0, token, node.cache()::revisions, () -> "");
        Gateway gateway =
            Gateway.builder()
                .token(token)
                .node("node-1", agentServer.uri())
                .scorer(PlacementScorer.named("default"))
                .build();
        GatewayServer gatewayServer = GatewayServer.start(gateway, 0, token)) {
      agent.deploy(revision, function);
      out.printf(
          "thaw bench warm: %s on %s; %d requests per path and connection kind%n",
          function.id(), vmm.identity(), requests);
      out.println("  starting one instance (boot, snapshot, verified clone)…");
      agent.invoke(revision, "/");
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (agent.instances().stream().noneMatch(i -> !i.busy())
          || agent.activeInstances() != agent.instances().size()) {
        if (System.nanoTime() > deadline) {
          throw new IOException("no warm instance of " + revision + " within 5 minutes");
        }
        Thread.sleep(50);
      }
      InstanceInfo instance = agent.instances().get(0);
      String invoke = "/functions/" + revision + "/invoke";
      List<Path3> paths =
          List.of(
              new Path3(GUEST, URI.create(instance.endpoint()), "GET", "/", ""),
              // The agent asks every caller for the token; the gateway's invocations are open.
              new Path3(
                  AGENT,
                  agentServer.uri(),
                  "POST",
                  invoke,
                  "Authorization: " + token.authorization() + "\r\n"),
              new Path3(GATEWAY, gatewayServer.uri(), "POST", invoke, ""));
      Map<String, List<Double>> ms = new LinkedHashMap<>();
      // One client per path, so that no path's connections wait behind another's.
      Map<String, HttpClient> clients = new LinkedHashMap<>();
      paths.forEach(
          p ->
              clients.put(
                  p.name(), HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()));
      out.printf("  %d rounds of warm-up…%n", warmup);
      for (int i = -warmup; i < requests; i++) {
        if (i == 0) {
          out.println("  timing…");
        }
        for (Path3 p : paths) {
          double kept = timeKeptAlive(clients.get(p.name()), p);
          double fresh = timeNewConnection(p);
          if (i >= 0) {
            ms.computeIfAbsent(keptAlive(p.name()), k -> new ArrayList<>()).add(kept);
            ms.computeIfAbsent(newConnection(p.name()), k -> new ArrayList<>()).add(fresh);
          }
        }
        if (i < 0 && (warmup + i) > 0 && (warmup + i) % 500 == 0) {
          out.printf("  %d/%d warm-up rounds%n", warmup + i, warmup);
        } else if (i > 0 && i % 100 == 0) {
          out.printf("  %d/%d rounds%n", i, requests);
        }
      }
      return report(function, vmm.identity().toString(), ms);
    }
  }

  private int report(FunctionSpec function, String vmmIdentity, Map<String, List<Double>> ms)
      throws IOException {
    LatencyReport report =
        new LatencyReport("thaw bench warm: warm invocations of " + function.id())
            .provenance(Reports.provenance(spec, null));
    ms.forEach(report::add);
    Map<String, LatencySummary> s = report.summaries();
    double guestKept = s.get(keptAlive(GUEST)).p50();
    double guestNew = s.get(newConnection(GUEST)).p50();
    out.println();
    out.printf(
        "%-28s %10s %10s %10s %14s%n",
        "warm invocation", "median ms", "p90 ms", "p99 ms", "+ over guest");
    s.forEach(
        (name, x) ->
            out.printf(
                Locale.ROOT,
                "%-28s %10.2f %10.2f %10.2f %+14.2f%n",
                name,
                x.p50(),
                x.p90(),
                x.p99(),
                x.p50() - (name.endsWith(keptAlive("")) ? guestKept : guestNew)));
    double gatewayOverGuest = s.get(keptAlive(GATEWAY)).p50() - guestKept;
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

  private static double timeKeptAlive(HttpClient http, Path3 p) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(p.base().resolve(p.target()))
            .method(p.method(), HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(30));
    p.headers()
        .lines()
        .forEach(
            h -> {
              int colon = h.indexOf(':');
              b.header(h.substring(0, colon), h.substring(colon + 1).strip());
            });
    HttpRequest r = b.build();
    long t0 = System.nanoTime();
    HttpResponse<byte[]> answer = http.send(r, HttpResponse.BodyHandlers.ofByteArray());
    double ms = (System.nanoTime() - t0) / 1e6;
    if (answer.statusCode() != 200) {
      throw new IOException(p.name() + " answered " + answer.statusCode());
    }
    return ms;
  }

  /** One request on a connection of its own ({@code Connection: close}), read to the end. */
  private static double timeNewConnection(Path3 p) throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket(p.base().getHost(), p.base().getPort())) {
      s.setTcpNoDelay(true);
      s.setSoTimeout(30_000);
      OutputStream o = s.getOutputStream();
      o.write(
          (p.method()
                  + " "
                  + p.target()
                  + " HTTP/1.1\r\nHost: "
                  + p.base().getHost()
                  + "\r\n"
                  + p.headers()
                  + "Content-Length: 0\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      o.flush();
      InputStream in = s.getInputStream();
      byte[] all = in.readAllBytes();
      double ms = (System.nanoTime() - t0) / 1e6;
      String head = new String(all, 0, Math.min(all.length, 12), StandardCharsets.US_ASCII);
      if (!head.startsWith("HTTP/1.1 200")) {
        throw new IOException(p.name() + " answered '" + head + "'");
      }
      return ms;
    }
  }
}
