package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.restore.RemoteRestoreRounds;
import dev.thaw.bench.restore.RestoreFigures;
import dev.thaw.bench.snapshots.ConfigurationFigures;
import dev.thaw.bench.snapshots.FunctionFigures;
import dev.thaw.bench.vm.BootRestoreTimes;
import dev.thaw.bench.warm.WarmInvocationRounds;
import dev.thaw.core.bench.BenchResultCodec;
import dev.thaw.core.bench.ModelRow;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.snapshot.ChunkDedup;
import dev.thaw.core.stats.LatencySummary;
import dev.thaw.sim.SimModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What thaw bench vm, snapshots, remote and warm write with --json, thaw simulate --model reads.
 */
class BenchDocumentsTest {
  private static final FunctionSpec HELLO = BuiltinFunctions.byId("hello").orElseThrow();
  private static final FunctionSpec STATEFUL = BuiltinFunctions.byId("stateful").orElseThrow();

  @TempDir Path dir;

  private static LatencySummary ms(double... v) {
    return LatencySummary.of(Arrays.stream(v).boxed().toList());
  }

  private static RestoreFigures method(String label, LatencySummary ms, long bytes) {
    return new RestoreFigures(label, ms, 1.0, bytes, bytes, 100, Map.of("vmm", 80L), 0, 0);
  }

  private RemoteRestoreRounds.Outcome remote() {
    List<RestoreFigures> figures =
        List.of(
            method(ModelRow.LOCAL_RESTORE.label(), ms(90, 95), 0),
            method("remote, whole files", ms(700), 268_000_000),
            method(ModelRow.REMOTE_CHUNKS.label(), ms(150, 160), 14_000_000));
    Map<String, List<Double>> latencies = new LinkedHashMap<>();
    figures.forEach(f -> latencies.put(f.method(), List.of(f.latencyMs().p50())));
    return new RemoteRestoreRounds.Outcome(figures, latencies, new ChunkDedup(1000, 400, 0.4, 1.2));
  }

  private Path write(String name, dev.thaw.core.bench.BenchResult r) throws Exception {
    return Files.writeString(dir.resolve(name), BenchResultCodec.write(r));
  }

  @Test
  void theModelReadsEveryInputFromTheFourBenchesDocuments() throws Exception {
    Path vm =
        write(
            "vm.json",
            BenchVmCommand.result(STATEFUL, "qemu", new BootRestoreTimes(ms(9000), ms(300))));
    Path snapshots =
        write(
            "snapshots.json",
            BenchSnapshotsCommand.result(
                "qemu",
                List.of(
                    new FunctionFigures(
                        HELLO.id(),
                        List.of(
                            new ConfigurationFigures(ModelRow.NO_SNAPSHOT.label(), ms(8000), 0),
                            new ConfigurationFigures(ModelRow.LOCAL_SNAPSHOT.label(), ms(100), 0),
                            new ConfigurationFigures("remote, no cache", ms(500), 0.3),
                            new ConfigurationFigures(
                                ModelRow.REMOTE_CACHED_FETCH.label(), ms(400), 0.2))))));
    Path remote =
        write(
            "remote.json", BenchRemoteCommand.result(HELLO, STATEFUL, "qemu", 65536, 3, remote()));
    Map<String, LatencySummary> paths = new LinkedHashMap<>();
    paths.put(WarmInvocationRounds.keptAlive(WarmInvocationRounds.GUEST), ms(1));
    paths.put(WarmInvocationRounds.keptAlive(WarmInvocationRounds.GATEWAY), ms(5));
    Path warm = write("warm.json", BenchWarmCommand.result(HELLO, "qemu", paths, 4));

    SimModel vmAndSnapshots = SimModel.withBenchFiles(List.of(vm, snapshots));
    assertThat(vmAndSnapshots.boot().p50()).isEqualTo(8000);
    assertThat(vmAndSnapshots.localRestore().p50()).isEqualTo(100);
    assertThat(vmAndSnapshots.remoteRestore().p50()).isEqualTo(400);

    SimModel m = SimModel.withBenchFiles(List.of(vm, snapshots, remote, warm));
    assertThat(m.boot().p50()).isEqualTo(8000);
    assertThat(m.localRestore().p50()).isEqualTo(90);
    assertThat(m.remoteRestore().p50()).isEqualTo(150);
    assertThat(m.remoteBytesPerRestore()).isEqualTo(14_000_000);
    assertThat(m.benchGuestBytes()).isEqualTo(HELLO.memoryBytes());
    assertThat(m.warmMs()).isEqualTo(5);
    assertThat(m.cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(m.sources()).hasSize(5);
  }

  @Test
  void theRemoteDocumentKeepsItsFieldNames() throws Exception {
    JsonNode doc =
        JsonMapper.builder()
            .build()
            .readTree(
                BenchResultCodec.write(
                    BenchRemoteCommand.result(HELLO, STATEFUL, "qemu", 65536, 3, remote())));
    assertThat(doc.path("bench").asString()).isEqualTo("remote");
    assertThat(doc.path("cores").asInt()).isPositive();
    assertThat(doc.path("guestMemoryBytes").asLong()).isEqualTo(HELLO.memoryBytes());
    assertThat(doc.path("dedup").path("storedOnceRatio").asDouble()).isEqualTo(1.2);
    JsonNode chunks = doc.path("results").get(2);
    assertThat(chunks.path("method").asString()).isEqualTo("remote, chunks");
    assertThat(chunks.path("latencyMs").path("p50").asDouble()).isEqualTo(150);
    assertThat(chunks.path("bytesPerRestore").asLong()).isEqualTo(14_000_000);
    assertThat(chunks.path("cpuMsByPart").path("vmm").asLong()).isEqualTo(80);
  }
}
