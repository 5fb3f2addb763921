package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuWaitsTest {
  @TempDir Path tasks;

  private void thread(String tid, long runNanos, long waitNanos) throws Exception {
    Path dir = Files.createDirectories(tasks.resolve(tid));
    Files.writeString(dir.resolve("schedstat"), runNanos + " " + waitNanos + " 12\n");
  }

  @Test
  void theLongestWaitOfAnyThreadSinceTheStartCounts() throws Exception {
    thread("100", 5_000_000, 1_000_000_000L);
    thread("101", 1_000_000, 2_000_000_000L);
    CpuWaits waits = new CpuWaits(tasks);
    assertThat(waits.heldOff()).isZero();

    thread("100", 9_000_000, 1_500_000_000L); // waited 0.5 s more
    thread("101", 2_000_000, 4_000_000_000L); // waited 2 s more
    thread("102", 1_000_000, 700_000_000L); // started since: all of its 0.7 s counts
    assertThat(waits.heldOff()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void unreadableStatisticsReadAsNoWait() throws Exception {
    thread("100", 1, 1);
    Files.writeString(tasks.resolve("100").resolve("schedstat"), "garbage");
    assertThat(new CpuWaits(tasks).heldOff()).isZero();
    assertThat(new CpuWaits(tasks.resolve("gone")).heldOff()).isZero();
  }

  @Test
  void aThreadOfThisProcessThatIsHeldOffTheCpuShowsIt() throws Exception {
    // More busy threads than cores: each one waits for a CPU some of the time.
    int cores = Runtime.getRuntime().availableProcessors();
    AtomicBoolean stop = new AtomicBoolean();
    CpuWaits waits = CpuWaits.of(ProcessHandle.current().pid());
    Thread[] spinners = new Thread[cores * 2 + 1];
    for (int i = 0; i < spinners.length; i++) {
      spinners[i] =
          new Thread(
              () -> {
                long x = 0;
                while (!stop.get()) {
                  x += System.nanoTime() & 1;
                }
                if (x == 42) {
                  System.out.print("");
                }
              });
      spinners[i].start();
    }
    try {
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> waits.heldOff().toMillis() > 20);
    } finally {
      stop.set(true);
      for (Thread t : spinners) {
        t.join();
      }
    }
  }
}
