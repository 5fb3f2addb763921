package dev.thaw.bench.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionLogFilesTest {
  @TempDir Path root;

  private static String flood(int number, long nanos) {
    return String.format(
        "{\"t\":%d,\"i\":\"noisy-1\",\"s\":\"stdout\",\"m\":\"flood %010d %s\"}",
        nanos, number, "x".repeat(82));
  }

  private static String stderr(String text) {
    return "{\"t\":1,\"i\":\"noisy-1\",\"s\":\"stderr\",\"m\":\"" + text + "\"}";
  }

  private Path write(String dir, String file, List<String> lines) throws Exception {
    Path p = Files.createDirectories(root.resolve(dir)).resolve(file);
    Files.write(p, lines);
    return p;
  }

  @Test
  void findsTheFunctionsFilesOnEveryNodeAndNothingElse() throws Exception {
    Path a = write("node-0/logs/noisy", "current.jsonl", List.of(flood(0, 1)));
    Path b = write("node-1/logs/noisy", "previous.jsonl", List.of(flood(1, 2)));
    write("node-0/logs/quiet", "current.jsonl", List.of(flood(2, 3)));
    write("node-0/vms/noisy", "current.jsonl", List.of(flood(3, 4)));

    FunctionLogFiles logs = FunctionLogFiles.of(root, "noisy");

    assertThat(logs.files()).containsExactlyInAnyOrder(a, b);
    assertThat(logs.bytes()).isEqualTo(Files.size(a) + Files.size(b));
  }

  @Test
  void countsTheFloodLinesKeptAndTheNumbersMissingBetweenTheFirstAndTheLast() throws Exception {
    // Numbers 5..9 and 12..14 kept over two files: 10 and 11 were lost.
    List<String> previous = new ArrayList<>();
    for (int n = 5; n <= 9; n++) {
      previous.add(flood(n, 1_000_000_000L + n));
    }
    List<String> current = new ArrayList<>(List.of(stderr("oops")));
    for (int n = 12; n <= 14; n++) {
      current.add(flood(n, 3_000_000_000L + n));
    }
    current.add("{\"t\":3000000099,\"s\":\"stdout\",\"m\":\"flood 12"); // cut short by a crash
    write("node-0/logs/noisy", "previous.jsonl", previous);
    write("node-0/logs/noisy", "current.jsonl", current);

    FloodLines lines = FunctionLogFiles.of(root, "noisy").floodLines();

    assertThat(lines).isEqualTo(new FloodLines(8, 2, 5, 14, 2_000_000_009L));
    assertThat(lines.spanSeconds()).isEqualTo(2.000000009);
    assertThat(lines.readMbPerSecond()).isCloseTo(8 * 100 / 1e6 / 2.000000009, within(1e-12));
  }

  @Test
  void keptNoFloodWhenNoLineIsAFloodLine() throws Exception {
    write("node-0/logs/noisy", "current.jsonl", List.of(stderr("only this")));
    assertThat(FunctionLogFiles.of(root, "noisy").floodLines()).isEqualTo(FloodLines.NONE);
    assertThat(FunctionLogFiles.of(root, "absent").floodLines()).isEqualTo(FloodLines.NONE);
  }

  @Test
  void givesTheFirstStderrLinesOfEachFile() throws Exception {
    List<String> current = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      current.add(stderr("line " + i));
      current.add(flood(i, i));
    }
    write("node-0/logs/noisy", "current.jsonl", current);
    write("node-1/logs/noisy", "current.jsonl", List.of(flood(0, 0), stderr("other node")));

    List<String> kept = FunctionLogFiles.of(root, "noisy").stderr(3);

    assertThat(kept)
        .containsExactlyInAnyOrder(
            stderr("line 0"), stderr("line 1"), stderr("line 2"), stderr("other node"));
  }
}
