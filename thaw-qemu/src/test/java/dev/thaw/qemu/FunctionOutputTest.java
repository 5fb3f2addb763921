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

  @Test
  void aWriterFasterThanTheRateIsHeldToIt() throws Exception {
    java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("out-test");
    try (FunctionOutput out =
        FunctionOutput.listen(
            "fn", "vm", (f, i, s, t) -> bytes.addAndGet(t.length() + 1), 1 << 20, dir)) {
      String path =
          out.qemuArgs().stream()
              .filter(a -> a.startsWith("socket,id=fnstdout"))
              .findFirst()
              .orElseThrow()
              .replaceAll(".*path=", "");
      byte[] line = ("x".repeat(99) + "\n").getBytes(StandardCharsets.UTF_8);
      long t0 = System.nanoTime();
      try (java.nio.channels.SocketChannel c =
          java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(path))) {
        java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(100 * 1000);
        for (int i = 0; i < 1000; i++) {
          block.put(line);
        }
        for (int i = 0; i < 40; i++) {
          block.flip();
          while (block.hasRemaining()) {
            c.write(block);
          }
        }
      }
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(30))
          .until(() -> bytes.get() == 4_000_000);
      // 4 MB at 1 MiB/s, one second's worth let through at once: 2.8 s at least.
      assertThat((System.nanoTime() - t0) / 1e9).isGreaterThan(2.7);
    } finally {
      dev.thaw.core.io.FileTrees.deleteQuietly(dir);
    }
  }
}
