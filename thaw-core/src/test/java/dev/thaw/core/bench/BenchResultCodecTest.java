package dev.thaw.core.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.stats.LatencySummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class BenchResultCodecTest {
  /** Real runs of thaw bench vm and remote, written before documents named their bench. */
  private static final Path HONESTY = Path.of("..", "bench-results", "honesty");

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static LatencySummary ms(double... v) {
    return LatencySummary.of(java.util.Arrays.stream(v).boxed().toList());
  }

  @Test
  void aRealBenchRemoteDocumentRoundTripsWithEveryFieldKept() throws Exception {
    String before = Files.readString(HONESTY.resolve("remote.json"));
    BenchResult r = BenchResultCodec.read(before);
    assertThat(r.bench()).isEqualTo(Bench.REMOTE);
    assertThat(r.cores()).isEqualTo(2);
    assertThat(r.longFact(BenchResult.GUEST_MEMORY_BYTES)).hasValue(268435456);
    assertThat(r.missingModelRows()).isEmpty();
    BenchRow chunks = r.row(ModelRow.REMOTE_CHUNKS.label()).orElseThrow();
    assertThat(chunks.latencyMs().count()).isEqualTo(15);
    assertThat(chunks.figure(BenchRow.BYTES_PER_RESTORE)).isPresent();
    assertThat(chunks.figures()).containsKey("cpuMsByPart");

    String after = BenchResultCodec.write(r);
    assertThat(withoutBench(after)).isEqualTo(JSON.readTree(before));
    assertThat(BenchResultCodec.read(after)).isEqualTo(r);
  }

  @Test
  void aRealBenchVmDocumentWithoutCoresRoundTrips() throws Exception {
    String before = Files.readString(HONESTY.resolve("vm.json"));
    BenchResult r = BenchResultCodec.read(before);
    assertThat(r.bench()).isEqualTo(Bench.VM);
    assertThat(r.cores()).isZero();
    assertThat(r.row(ModelRow.VM_COLD_BOOT.label()).orElseThrow().latencyMs().count()).isEqualTo(5);
    assertThat(r.row(ModelRow.VM_RESTORE.label()).orElseThrow().latencyMs().p50())
        .isEqualTo(295.370771);
    ObjectNode after = withoutBench(BenchResultCodec.write(r));
    assertThat(after.remove("cores").asInt()).isZero();
    assertThat(after).isEqualTo(JSON.readTree(before));
  }

  @Test
  void eachBenchIsWrittenInItsOwnLayoutAndReadBackByName() {
    LatencySummary s = ms(1, 2, 3);
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("fetchShare", 0.5);
    BenchResult snapshots =
        new BenchResult(
            Bench.SNAPSHOTS,
            4,
            Map.of("function", "hello"),
            List.of(
                new BenchRow(ModelRow.NO_SNAPSHOT.label(), s, figures),
                new BenchRow(ModelRow.LOCAL_SNAPSHOT.label(), s, figures),
                new BenchRow("remote, no cache", s, figures),
                new BenchRow(ModelRow.REMOTE_CACHED_FETCH.label(), s, figures)));
    String json = BenchResultCodec.write(snapshots);
    assertThat(json).contains("\"bench\" : \"snapshots\"").contains("\"configuration\" : ");
    assertThat(BenchResultCodec.read(json)).isEqualTo(snapshots);

    BenchResult warm =
        new BenchResult(
            Bench.WARM,
            2,
            Map.of("gatewayOverGuestKeptAliveMs", 0.25),
            List.of(BenchRow.of("guest, kept alive", s), BenchRow.of("gateway, kept alive", s)));
    String w = BenchResultCodec.write(warm);
    assertThat(w).contains("\"latencyMs\" : {").contains("\"gateway, kept alive\" : {");
    assertThat(BenchResultCodec.read(w)).isEqualTo(warm);
  }

  @Test
  void aBenchWithoutARowTheModelReadsIsNotWritten() {
    LatencySummary s = ms(1);
    BenchResult renamed =
        new BenchResult(
            Bench.REMOTE,
            2,
            Map.of(),
            List.of(BenchRow.of("local restore", s), BenchRow.of("remote, chunked", s)));
    assertThat(renamed.missingModelRows()).containsExactly(ModelRow.REMOTE_CHUNKS);
    assertThatThrownBy(() -> BenchResultCodec.write(renamed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("thaw bench remote has no row 'remote, chunks'")
        .hasMessageContaining("remote restore");
  }

  @Test
  void aPartialSummaryReadsWithTheMissingPercentilesNaN() {
    BenchResult r =
        BenchResultCodec.read("{\"latencyMs\": {\"gateway, kept alive\": {\"p50\": 5}}}");
    LatencySummary s = r.row("gateway, kept alive").orElseThrow().latencyMs();
    assertThat(r.bench()).isEqualTo(Bench.WARM);
    assertThat(s.p50()).isEqualTo(5);
    assertThat(s.p90()).isNaN();
    assertThat(s.count()).isZero();
  }

  @Test
  void refusalsSayWhatIsWrong() {
    assertThatThrownBy(() -> BenchResultCodec.read("{"))
        .isInstanceOf(MalformedBenchResultException.class)
        .hasMessageStartingWith("not JSON");
    assertThatThrownBy(() -> BenchResultCodec.read("{\"function\": \"hello\"}"))
        .isInstanceOf(MalformedBenchResultException.class)
        .hasMessageContaining("not the JSON of thaw bench vm, snapshots, remote or warm");
    assertThatThrownBy(() -> BenchResultCodec.read("{\"bench\": \"soak\"}"))
        .hasMessageContaining("no bench is called \"soak\"");
    assertThatThrownBy(() -> BenchResultCodec.read("{\"coldBootMs\": 3}"))
        .hasMessageContaining("'coldBootMs' latencies are not an object");
    assertThatThrownBy(
            () ->
                BenchResultCodec.read(
                    "{\"results\": [{\"method\": \"a\", \"latencyMs\": {}, \"n\": \"x\"}]}"))
        .hasMessageContaining("'a' n is not a number");
    assertThatThrownBy(
            () ->
                BenchResultCodec.read(
                    "{\"results\": [{\"method\": \"a\", \"latencyMs\": {}},"
                        + " {\"method\": \"a\", \"latencyMs\": {}}]}"))
        .hasMessageContaining("two rows with one label");
  }

  private static ObjectNode withoutBench(String json) {
    ObjectNode doc = (ObjectNode) JSON.readTree(json);
    JsonNode bench = doc.remove("bench");
    assertThat(bench).isNotNull();
    return doc;
  }
}
