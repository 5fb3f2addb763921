package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {
  @TempDir Path dir;

  @Test
  void aConsoleNotWrittenYetIsEmpty() {
    ConsoleLog console = ConsoleLog.in(dir);
    assertThat(console.file()).isEqualTo(dir.resolve("console.log"));
    assertThat(console.text()).isEmpty();
    assertThat(console.tail(20)).isEmpty();
  }

  @Test
  void theTailIsTheLastLines() throws Exception {
    ConsoleLog console = ConsoleLog.in(dir);
    Files.writeString(console.file(), "\nboot\nmount\nready on :8080\n\n");
    assertThat(console.tail(2)).isEqualTo("mount\nready on :8080");
    assertThat(console.tail(20)).isEqualTo("boot\nmount\nready on :8080");
  }

  @Test
  void aWaitEndsOnEitherLineAsSoonAsItIsWritten() throws Exception {
    ConsoleLog console = ConsoleLog.in(dir);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    CompletableFuture<String> ready =
        CompletableFuture.supplyAsync(
            () -> console.await("ready on :8080", "function exited", deadline, () -> true));
    Thread.sleep(100);
    assertThat(ready).isNotDone();
    Files.writeString(console.file(), "boot\n  ready on :8080  \n");
    assertThat(ready.get(5, TimeUnit.SECONDS)).isEqualTo("ready on :8080");

    Files.writeString(console.file(), "boot\nthaw: function exited (status 1)\n");
    assertThat(console.await("ready on :8080", "function exited", deadline, () -> true))
        .isEqualTo("thaw: function exited (status 1)");
  }

  @Test
  void aWaitEndsWithNothingWhenTheVmmIsGoneOrTheDeadlinePassed() throws Exception {
    ConsoleLog console = ConsoleLog.in(dir);
    Files.writeString(console.file(), "boot\n");
    long later = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    assertThat(console.await("ready on :", "function exited", later, () -> false)).isEmpty();
    long passed = System.nanoTime() + Duration.ofMillis(50).toNanos();
    assertThat(console.await("ready on :", "function exited", passed, () -> true)).isEmpty();
  }
}
