package dev.thaw.core.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AzureTraceTest {
  @TempDir Path dir;

  @Test
  void aGeneratedTraceReadsBackExactlyAndTheSameSeedGivesTheSameFiles() throws Exception {
    List<TraceFunction> written = SyntheticTrace.write(dir.resolve("a"), 40, 7);
    List<TraceFunction> read = AzureTrace.read(dir.resolve("a"));
    assertThat(read).hasSize(40);
    for (int i = 0; i < written.size(); i++) {
      assertThat(read.get(i).key()).isEqualTo(written.get(i).key());
      assertThat(read.get(i).perMinute()).isEqualTo(written.get(i).perMinute());
      assertThat(read.get(i).memoryMb()).hasSize(8);
    }
    SyntheticTrace.write(dir.resolve("b"), 40, 7);
    for (String f :
        List.of(
            "invocations_per_function_md.anon.d01.csv",
            "function_durations_percentiles.anon.d01.csv",
            "app_memory_percentiles.anon.d01.csv")) {
      assertThat(Files.readString(dir.resolve("b").resolve(f)))
          .isEqualTo(Files.readString(dir.resolve("a").resolve(f)));
    }
  }

  @Test
  void ratesSpanOrdersOfMagnitudeAndMostFunctionsRunLessThanOnceAMinute() throws Exception {
    List<TraceFunction> fs = SyntheticTrace.write(dir, 400, 2026);
    long rare = fs.stream().filter(f -> f.total() < TraceFunction.MINUTES).count();
    long busiest = fs.stream().mapToLong(TraceFunction::total).max().orElseThrow();
    long quietest = fs.stream().mapToLong(TraceFunction::total).min().orElseThrow();
    assertThat(rare).isGreaterThan(fs.size() / 2);
    assertThat(busiest).isGreaterThan(1000 * Math.max(1, quietest));
  }

  @Test
  void malformedLinesNameTheFileLineAndColumn() throws Exception {
    SyntheticTrace.write(dir, 3, 1);
    Path inv = dir.resolve("invocations_per_function_md.anon.d01.csv");
    List<String> lines = Files.readAllLines(inv);
    String[] fields = lines.get(2).split(",");
    fields[10] = "x7";
    lines.set(2, String.join(",", fields));
    Files.write(inv, lines);
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .isInstanceOf(TraceFormatException.class)
        .hasMessage(
            "invocations_per_function_md.anon.d01.csv:3:11: 'x7' is not a non-negative integer");
  }

  @Test
  void aShortLineAndAWrongHeaderAreRefused() throws Exception {
    SyntheticTrace.write(dir, 3, 1);
    Path dur = dir.resolve("function_durations_percentiles.anon.d01.csv");
    List<String> lines = Files.readAllLines(dur);
    lines.set(3, "a,b,c");
    Files.write(dur, lines);
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .isInstanceOf(TraceFormatException.class)
        .hasMessageContaining("function_durations_percentiles.anon.d01.csv:4: has 3 columns");
    lines.set(0, "HashOwner,HashApp");
    Files.write(dur, lines);
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .isInstanceOf(TraceFormatException.class)
        .hasMessageContaining(":1: header has 2 columns");
  }

  @Test
  void aDirectoryWithoutATraceIsAClearError() {
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .hasMessageContaining("no invocations_per_function_md.anon.dNN.csv");
  }

  @Test
  void aMissingDirectoryOrDurationsFileIsAClearError() throws Exception {
    assertThatThrownBy(() -> AzureTrace.read(dir.resolve("nowhere")))
        .isInstanceOf(java.nio.file.NoSuchFileException.class)
        .hasMessageContaining("nowhere")
        .hasMessageContaining("no such trace directory");
    SyntheticTrace.write(dir, 3, 1);
    assertThatThrownBy(
            () -> AzureTrace.read(dir.resolve("invocations_per_function_md.anon.d01.csv")))
        .hasMessageContaining("is not a directory");
    Files.delete(dir.resolve("function_durations_percentiles.anon.d01.csv"));
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .isInstanceOf(java.nio.file.NoSuchFileException.class)
        .hasMessageContaining("no function_durations_percentiles.anon.d01.csv");
  }

  @Test
  void infiniteDurationsHugeCountsAndBinaryFilesAreRefusedWithTheirPlace() throws Exception {
    SyntheticTrace.write(dir, 3, 1);
    Path dur = dir.resolve("function_durations_percentiles.anon.d01.csv");
    List<String> lines = Files.readAllLines(dur);
    String[] fields = lines.get(1).split(",");
    fields[9] = "Infinity";
    lines.set(1, String.join(",", fields));
    Files.write(dur, lines);
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .isInstanceOf(TraceFormatException.class)
        .hasMessage(
            "function_durations_percentiles.anon.d01.csv:2:10: 'Infinity' is not a non-negative"
                + " finite number");

    SyntheticTrace.write(dir, 3, 1);
    Path inv = dir.resolve("invocations_per_function_md.anon.d01.csv");
    lines = Files.readAllLines(inv);
    fields = lines.get(1).split(",");
    fields[4] = "99999999999";
    lines.set(1, String.join(",", fields));
    Files.write(inv, lines);
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .isInstanceOf(TraceFormatException.class)
        .hasMessageStartingWith("invocations_per_function_md.anon.d01.csv:2:5: ");

    Files.write(inv, new byte[] {'a', ',', (byte) 0xff, (byte) 0xfe, '\n'});
    assertThatThrownBy(() -> AzureTrace.read(dir))
        .isInstanceOf(TraceFormatException.class)
        .hasMessageContaining("not UTF-8 text");
  }
}
