package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The agent's policy options are checked before it starts anything (no guest image, no VM). */
class AgentPolicyOptionsTest {
  private static String[] run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int status;
    try {
      status = Thaw.commandLine().execute(args);
    } finally {
      System.setErr(saved);
    }
    return new String[] {Integer.toString(status), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void anUnknownEvictionPolicyIsAUsageError() {
    String[] r = run("agent", "--eviction", "fifo");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1])
        .contains("eviction policy must be lru or gdsf: 'fifo'")
        .doesNotContain("\tat ");
  }

  @Test
  void anUnknownKeepAlivePolicyIsAUsageError() {
    String[] r = run("agent", "--keep-alive-policy", "forever");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("keep-alive policy must be fixed or hybrid").doesNotContain("\tat ");
  }

  @Test
  void aScrubRateThatIsNoSizeIsAUsageError() {
    String[] r = run("agent", "--scrub-rate", "fast");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("not a size: 'fast'").doesNotContain("\tat ");
  }
}
