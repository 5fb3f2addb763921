package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.trace.SyntheticTrace;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code thaw simulate}: bad options are refused before anything runs (one line each, exit 2, no
 * stack trace); a small trace runs through to the table, the JSON, the report and the comparison
 * with a bench run.
 */
class SimulateCommandTest {
  @TempDir Path dir;
  private Path trace;

  record Run(int status, String out, String err) {}

  @BeforeEach
  void writeTrace() throws Exception {
    trace = dir.resolve("trace");
    SyntheticTrace.write(trace, 60, 11);
  }

  private Run run(String... args) {
    List<String> all = new ArrayList<>(List.of("simulate"));
    all.addAll(List.of(args));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = Thaw.commandLine().execute(all.toArray(String[]::new));
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void everyBadOptionIsRefusedInOneLineWithExitStatus2() {
    Run r =
        run(
            "--trace",
            trace.toString(),
            "--nodes",
            "0",
            "--max-instances",
            "0",
            "--placement",
            "nearest",
            "--eviction",
            "fifo",
            "--keep-alive",
            "forever",
            "--keep-alive-window",
            "0s",
            "--prefetch",
            "always",
            "--compare",
            "colour",
            "--minutes",
            "5-3",
            "--cache-per-node",
            "lots",
            "--mode",
            "cloud");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("refused: --nodes must be within 1..")
        .contains("refused: --max-instances must be within 1..")
        .contains(
            "refused: --placement: placement policy must be default, snapshot-aware or expected-time")
        .contains("refused: --eviction: eviction policy must be lru or gdsf")
        .contains("refused: --keep-alive: keep-alive policy must be fixed or hybrid")
        .contains("refused: --keep-alive-window must be positive")
        .contains("refused: --prefetch must be off or predicted")
        .contains("refused: --compare names placement, eviction, keep-alive or prefetch")
        .contains("refused: --minutes 5-3")
        .contains("refused: --cache-per-node lots")
        .contains("refused: --mode")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    assertThat(r.err().lines()).allMatch(l -> l.startsWith("refused: "));
  }

  @Test
  void aMissingTraceOrModelIsNamed() {
    Run noTrace = run("--nodes", "3");
    assertThat(noTrace.status()).isEqualTo(2);
    assertThat(noTrace.err()).contains("refused: --trace is required");

    Run missing = run("--trace", dir.resolve("nowhere").toString());
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).startsWith("refused: --trace ").contains("no such trace directory");

    Run model = run("--trace", trace.toString(), "--model", dir.resolve("vm.json").toString());
    assertThat(model.status()).isEqualTo(2);
    assertThat(model.err()).contains("refused: --model ").contains("cannot be read");
  }

  @Test
  void aModelFileThatIsNoBenchOutputIsRefused() throws Exception {
    Path json = Files.writeString(dir.resolve("other.json"), "{\"hello\": 1}");
    Run r = run("--trace", trace.toString(), "--model", json.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("not the JSON of thaw bench vm, snapshots, remote or warm");
  }

  @Test
  void comparesPoliciesWritesJsonAndAReportWithSweeps() throws Exception {
    Path json = dir.resolve("sim.json");
    Path report = dir.resolve("report");
    Run r =
        run(
            "--trace",
            trace.toString(),
            "--minutes",
            "0-60",
            "--nodes",
            "4",
            "--cache-per-node",
            "1GiB",
            "--compare",
            "placement,eviction",
            "--json",
            json.toString(),
            "--report",
            report.toString(),
            "--sweep-nodes",
            "2,4",
            "--sweep-cache",
            "1GiB,2GiB");
    assertThat(r.status()).as(r.err()).isEqualTo(0);
    assertThat(r.out())
        .contains("default, lru, fixed 10m")
        .contains("snapshot-aware, gdsf, fixed 10m")
        .contains("invocations/s");
    JsonNode doc = JsonMapper.builder().build().readTree(Files.readString(json));
    assertThat(doc.path("results")).hasSize(4);
    assertThat(doc.path("sweepNodes")).hasSize(4);
    assertThat(doc.path("sweepCache")).hasSize(8);
    for (JsonNode result : doc.path("results")) {
      long starts =
          result.path("warm").asLong()
              + result.path("localRestores").asLong()
              + result.path("remoteRestores").asLong()
              + result.path("boots").asLong()
              + result.path("rejected").asLong();
      assertThat(starts).isEqualTo(result.path("invocations").asLong()).isPositive();
    }
    assertThat(Files.readString(report.resolve("report.html")))
        .contains("Sweep over cluster size")
        .contains("data:image/png;base64,");
  }

  @Test
  void peersBothRunsEachConfigurationWithoutAndWithPeersSideBySide() throws Exception {
    Path json = dir.resolve("peers.json");
    Run r =
        run(
            "--trace",
            trace.toString(),
            "--minutes",
            "0-60",
            "--nodes",
            "8",
            "--placement",
            "default",
            "--peers",
            "both",
            "--json",
            json.toString());
    assertThat(r.status()).as(r.err()).isEqualTo(0);
    assertThat(r.out())
        .contains("storage requests")
        .contains("peer requests")
        .contains("cold p99 ms")
        .contains("default, lru, fixed 10m, peers");
    JsonNode results =
        JsonMapper.builder().build().readTree(Files.readString(json)).path("results");
    assertThat(results).hasSize(2);
    JsonNode without = results.get(0);
    JsonNode with = results.get(1);
    assertThat(with.path("configuration").asString()).endsWith(", peers");
    // The same placement and starts; only who serves the fetches differs.
    for (String count : List.of("warm", "localRestores", "remoteRestores", "boots", "rejected")) {
      assertThat(with.path(count).asLong()).as(count).isEqualTo(without.path(count).asLong());
    }
    assertThat(without.path("remoteRestores").asLong()).isPositive();
    assertThat(without.path("peerRequests").asLong()).isZero();
    assertThat(with.path("peerFetches").asLong()).isPositive();
    assertThat(with.path("storageRequests").asLong())
        .isLessThan(without.path("storageRequests").asLong());
    assertThat(with.path("remoteBytes").asLong() + with.path("peerBytes").asLong())
        .isEqualTo(without.path("remoteBytes").asLong());
  }

  @Test
  void badPeerOptionsAreRefused() {
    Run r = run("--trace", trace.toString(), "--peers", "sometimes", "--peer-uploads", "0");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err())
        .contains("refused: --peers must be off, on or both, not 'sometimes'")
        .contains("refused: --peer-uploads, --peers-asked, --peer-gbps: a peer serves at least");
  }

  @Test
  void againstABenchRunSimulatesItsInvocationsAndSetsBothSideBySide() throws Exception {
    Path bench = dir.resolve("bench.json");
    Files.writeString(
        bench,
        """
        {"benchTrace": {"trace": "%s", "functions": 4, "minutes": "0-2", "minuteMillis": 10000,
          "spread": "exponential", "nodes": 2, "maxInstances": 6, "mode": "remote",
          "placement": "snapshot-aware", "keepAliveMs": 60000, "cacheBytesPerNode": 10737418240,
          "seed": 1, "counts": {"invocations": 12, "warm": 6, "localRestores": 2,
          "remoteRestores": 0, "boots": 4, "errors": 0}}}
        """
            .formatted(trace.toString().replace("\\", "\\\\")));
    Run r = run("--against", bench.toString());
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("measured").contains("simulated").contains("honesty check: ");
    // Status 1 says the check failed, 0 that it passed.
    assertThat(r.status()).isEqualTo(r.out().contains("honesty check: passes") ? 0 : 1);
  }

  @Test
  void againstABenchRunWhoseTraceIsNotHereAsksForIt() throws Exception {
    Path bench = dir.resolve("bench.json");
    Files.writeString(
        bench,
        Files.readString(HONESTY.resolve("bench-trace.json"))
            .replace("\"trace\" : \"t200\"", "\"trace\" : \"no-such-trace\""));
    Run r = run("--against", bench.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err())
        .contains("replayed the trace no-such-trace, which is not here")
        .contains("--trace");
  }

  /**
   * The committed honesty check: a real replay ({@code thaw bench trace --json}) and this machine's
   * model ({@code thaw bench vm --json}, {@code thaw bench remote --json}) measured one after the
   * other on the same quiet machine; docs/simulator.md quotes them.
   */
  private static final Path HONESTY = Path.of("..", "bench-results", "honesty");

  /** The trace the committed replay sampled: {@code thaw bench gen-trace --functions 200}. */
  private Path t200() throws Exception {
    Path t = dir.resolve("t200");
    SyntheticTrace.write(t, 200, 2019);
    return t;
  }

  private Run againstCommitted(Path bench) throws Exception {
    return run(
        "--against",
        bench.toString(),
        "--trace",
        t200().toString(),
        "--model",
        HONESTY.resolve("vm.json").toString(),
        "--model",
        HONESTY.resolve("remote.json").toString());
  }

  @Test
  void theCommittedReplayIsPredictedWithinTheHonestyBounds() throws Exception {
    Run r = againstCommitted(HONESTY.resolve("bench-trace.json"));
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("cores shared by 2 nodes")
        .contains("honesty check: passes")
        .doesNotContain("NO");
  }

  @Test
  void theCheckFailsWhenTheMeasuredCountsAreAltered() throws Exception {
    // The same replay, had every local restore been a boot instead.
    JsonMapper mapper = JsonMapper.builder().build();
    JsonNode doc = mapper.readTree(Files.readString(HONESTY.resolve("bench-trace.json")));
    tools.jackson.databind.node.ObjectNode counts =
        (tools.jackson.databind.node.ObjectNode) doc.path("benchTrace").path("counts");
    long local = counts.path("localRestores").asLong();
    assertThat(local).as("the committed replay has local restores").isPositive();
    counts.put("boots", counts.path("boots").asLong() + local);
    counts.put("localRestores", 0);
    Path altered = dir.resolve("altered.json");
    Files.writeString(altered, mapper.writeValueAsString(doc));

    Run r = againstCommitted(altered);
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("honesty check: FAILS").contains("NO");
  }

  @Test
  void againstAFileThatIsNoBenchTraceOutputIsRefused() throws Exception {
    Path bench = Files.writeString(dir.resolve("bench.json"), "{\"results\": []}");
    Run r = run("--against", bench.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("refused: --against").contains("no \"benchTrace\" object");
  }
}
