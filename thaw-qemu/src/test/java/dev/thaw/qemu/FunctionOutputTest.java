package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FunctionOutputTest {
  private final List<String> lines = new ArrayList<>();
  private final FunctionOutput.Lines splitter = new FunctionOutput.Lines(lines::add);

  private void add(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    splitter.add(b, b.length);
  }

  @Test
  void linesAreCutAtTheirEndsWhateverTheReadsBoundaries() {
    add("one\ntw");
    add("o\r\n");
    add("\nthree");
    assertThat(lines).containsExactly("one", "two", "");
    splitter.end();
    assertThat(lines).containsExactly("one", "two", "", "three");
    splitter.end();
    assertThat(lines).hasSize(4);
  }

  @Test
  void aLineLongerThanTheBoundComesInPiecesOfTheBound() {
    add("a".repeat(FunctionOutput.MAX_LINE * 2 + 5) + "\n");
    assertThat(lines)
        .extracting(String::length)
        .containsExactly(FunctionOutput.MAX_LINE, FunctionOutput.MAX_LINE, 5);
  }

  @Test
  void bytesThatAreNotUtf8BecomeReplacementCharacters() {
    splitter.add(new byte[] {'o', 'k', (byte) 0xff, '\n'}, 4);
    assertThat(lines).containsExactly("ok\uFFFD");
  }

  @Test
  void theRateLetsOneSecondsWorthThroughAtOnceAndThenPacesTheReaders() {
    long[] now = {0};
    FunctionOutput.Rate rate = new FunctionOutput.Rate(1000, () -> now[0]);
    assertThat(rate.debit(1000)).isZero();
    // 500 bytes ahead of a 1000 B/s rate: half a second to wait.
    assertThat(rate.debit(500)).isEqualTo(500_000_000L);
    now[0] += 500_000_000L;
    assertThat(rate.debit(0)).isZero();
    // An idle hour earns no more than one second's burst.
    now[0] += 3_600_000_000_000L;
    assertThat(rate.debit(1000)).isZero();
    assertThat(rate.debit(1000)).isEqualTo(1_000_000_000L);
  }
}
