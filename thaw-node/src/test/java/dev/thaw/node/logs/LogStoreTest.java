package dev.thaw.node.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.logs.LogStream;
import dev.thaw.node.protocol.LogLine;
import dev.thaw.node.protocol.LogQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogStoreTest {
  @TempDir Path dir;
  private long now = 1_000;

  private LogStore store() {
    return new LogStore(dir, "node-1", 1 << 20, () -> now);
  }

  @Test
  void linesComeBackInOrderWithTheirNodeInstanceAndStreamAndStrictlyLaterTimes() {
    LogStore s = store();
    s.line("fn", "vm-1", LogStream.STDOUT, "one");
    s.line("fn", "vm-2", LogStream.STDERR, "two \"quoted\"\tand ✓");
    now = 500; // the clock stepped back: times still increase
    s.line("fn", "vm-1", LogStream.STDOUT, "three");
    s.line("other", "vm-3", LogStream.STDOUT, "elsewhere");
    List<LogLine> lines = s.read("fn", LogQuery.ALL);
    assertThat(lines)
        .extracting(LogLine::text)
        .containsExactly("one", "two \"quoted\"\tand ✓", "three");
    assertThat(lines.get(1))
        .isEqualTo(new LogLine(1001, "node-1", "vm-2", "stderr", lines.get(1).text()));
    assertThat(lines).extracting(LogLine::time).containsExactly(1000L, 1001L, 1002L);
    assertThat(s.read("other", LogQuery.ALL)).extracting(LogLine::time).containsExactly(1003L);
  }

  @Test
  void afterSinceAndTailSelectLines() {
    LogStore s = store();
    for (int i = 0; i < 10; i++) {
      now = 1000 + i * 10;
      s.line("fn", "vm", LogStream.STDOUT, "l" + i);
    }
    assertThat(s.read("fn", new LogQuery(0, 0, Optional.of(3))))
        .extracting(LogLine::text)
        .containsExactly("l7", "l8", "l9");
    assertThat(s.read("fn", new LogQuery(0, 1050, Optional.empty())))
        .extracting(LogLine::text)
        .containsExactly("l5", "l6", "l7", "l8", "l9");
    assertThat(s.read("fn", new LogQuery(1070, 0, Optional.empty())))
        .extracting(LogLine::text)
        .containsExactly("l8", "l9");
  }

  @Test
  void aFunctionsLogsStayWithinTheCapAndKeepTheLatestLines() throws Exception {
    LogStore s = store();
    String text = "x".repeat(200);
    for (int i = 0; i < 30_000; i++) {
      s.line("flood", "vm", LogStream.STDOUT, i + " " + text);
    }
    assertThat(s.bytes("flood")).isLessThanOrEqualTo(1 << 20).isGreaterThan(1 << 19);
    List<LogLine> tail = s.read("flood", new LogQuery(0, 0, Optional.of(1)));
    assertThat(tail.get(0).text()).startsWith("29999 ");
    // What is kept is the last lines, without a gap.
    List<LogLine> all = s.read("flood", LogQuery.ALL);
    assertThat(all.get(all.size() - 1).time() - all.get(0).time()).isEqualTo(all.size() - 1);
  }

  @Test
  void aFollowerPagesForwardAndNoPageHoldsMoreThanTheBound() {
    LogStore s = store();
    for (int i = 0; i < LogQuery.MAX_LINES + 5; i++) {
      s.line("fn", "vm", LogStream.STDOUT, "l" + i);
    }
    List<LogLine> first = s.read("fn", new LogQuery(1000, 0, Optional.empty()));
    assertThat(first).hasSize(LogQuery.MAX_LINES);
    assertThat(first.get(0).text()).isEqualTo("l1");
    long cursor = first.get(first.size() - 1).time();
    assertThat(s.read("fn", new LogQuery(cursor, 0, Optional.empty())))
        .extracting(LogLine::text)
        .containsExactly("l10001", "l10002", "l10003", "l10004");
  }

  @Test
  void aLineCutShortByACrashIsSkippedAndTheNextLineStartsOnItsOwn() throws Exception {
    LogStore s = store();
    s.line("fn", "vm", LogStream.STDOUT, "before");
    Files.writeString(
        dir.resolve("fn/current.jsonl"), "{\"t\":5000,\"i\":\"vm\",\"s", StandardOpenOption.APPEND);
    LogStore restarted = store();
    restarted.line("fn", "vm", LogStream.STDOUT, "after");
    assertThat(restarted.read("fn", LogQuery.ALL))
        .extracting(LogLine::text)
        .containsExactly("before", "after");
  }

  @Test
  void deleteDropsAFunctionsLinesAndNamesThatAreNotFunctionIdsAreRefused() {
    LogStore s = store();
    s.line("fn", "vm", LogStream.STDOUT, "x");
    s.delete("fn");
    assertThat(s.read("fn", LogQuery.ALL)).isEmpty();
    assertThat(dir.resolve("fn")).doesNotExist();
    assertThatThrownBy(() -> s.read("../etc", LogQuery.ALL))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
