package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostQuietTest {
  private static final Duration DELAY = Duration.ofMillis(250);

  @TempDir Path tmp;

  @Test
  void oneAgentsRestoreKeepsTheOthersPoolWaitingUntilADelayAfterItsEnd() throws Exception {
    Path dir = tmp.resolve("quiet");
    HostQuiet one = HostQuiet.open(dir).orElseThrow();
    HostQuiet other = HostQuiet.open(dir).orElseThrow();
    assertThat(other.busyFor(DELAY)).isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx------");

    VmmPool.Restoring restoring = one.restoring();
    assertThat(other.busyFor(DELAY)).isPresent();
    restoring.close();
    assertThat(other.busyFor(DELAY))
        .hasValueSatisfying(d -> assertThat(d).isLessThanOrEqualTo(DELAY));
    Thread.sleep(DELAY.toMillis() + 50);
    assertThat(other.busyFor(DELAY)).isEmpty();
    assertThat(Files.list(dir).map(p -> p.getFileName().toString())).containsExactly("last-end");
  }

  @Test
  void aRestoreMarkOfAnAgentThatDiedLongAgoIsNotWaitedFor() throws Exception {
    Path dir = tmp.resolve("quiet");
    HostQuiet quiet = HostQuiet.open(dir).orElseThrow();
    Path left = Files.createFile(dir.resolve("restoring-1-1"));
    assertThat(quiet.busyFor(DELAY)).isPresent();
    Files.setLastModifiedTime(
        left, FileTime.fromMillis(System.currentTimeMillis() - HostQuiet.STALE.toMillis() - 1_000));
    assertThat(quiet.busyFor(DELAY)).isEmpty();
  }

  @Test
  void aDirectoryOthersMayWriteIsNotUsed() throws Exception {
    Path dir =
        Files.createDirectory(
            tmp.resolve("open"),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(HostQuiet.open(dir)).isEmpty();
    assertThat(HostQuiet.open(Files.createFile(tmp.resolve("a-file")))).isEmpty();
  }
}
