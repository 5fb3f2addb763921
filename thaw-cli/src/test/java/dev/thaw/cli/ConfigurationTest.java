package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigurationTest {
  @TempDir Path dir;

  @AfterEach
  void forget() {
    System.clearProperty("picocli.defaults.thaw.path");
  }

  private AgentCommand parseAgent(String... args) {
    CommandLine cl = Thaw.commandLine();
    CommandLine.ParseResult r = cl.parseArgs(args);
    return (AgentCommand) r.subcommand().commandSpec().userObject();
  }

  @Test
  void aPropertiesFileSuppliesDefaultsAndFlagsWin() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("thaw.properties"),
            "keep-alive=5s\ncache-capacity=20GiB\nmax-instances=3\n");
    System.setProperty("picocli.defaults.thaw.path", file.toString());
    AgentCommand fromFile = parseAgent("agent");
    assertThat(fromFile.keepAlive).isEqualTo(Duration.ofSeconds(5));
    assertThat(fromFile.node.cacheCapacityBytes()).isEqualTo(20L << 30);
    assertThat(fromFile.maxInstances).isEqualTo(3);
    AgentCommand flagged = parseAgent("agent", "--max-instances", "6");
    assertThat(flagged.maxInstances).isEqualTo(6);
  }

  @Test
  void builtInDefaultsWithoutAFile() {
    System.setProperty("picocli.defaults.thaw.path", dir.resolve("absent").toString());
    AgentCommand a = parseAgent("agent");
    assertThat(a.keepAlive).isEqualTo(Duration.ofSeconds(60));
    assertThat(a.maxInstances).isEqualTo(8);
  }

  @Test
  void durationsAndSizesAreParsedWithClearErrors() {
    DurationConverter d = new DurationConverter();
    assertThat(d.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(d.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.convert("PT2S")).isEqualTo(Duration.ofSeconds(2));
    assertThatThrownBy(() -> d.convert("soon")).hasMessageContaining("not a duration: 'soon'");
  }
}
