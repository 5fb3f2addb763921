package dev.thaw.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessCpuTest {
  @TempDir Path proc;

  private void thread(long pid, long tid, String name, long nanos) throws Exception {
    Path task = Files.createDirectories(proc.resolve(pid + "/task/" + tid));
    Files.writeString(task.resolve("comm"), name + "\n");
    Files.writeString(task.resolve("schedstat"), nanos + " 123 45\n");
  }

  @Test
  void threadsAreSortedIntoPartsByName() {
    assertThat(ProcessCpu.part("thaw-chunk-3", false)).isEqualTo(ProcessCpu.CHUNK_WORKERS);
    assertThat(ProcessCpu.part("thaw-lazy-fill-", false)).isEqualTo(ProcessCpu.CHUNK_WORKERS);
    assertThat(ProcessCpu.part("thaw-remote-io-", false)).isEqualTo(ProcessCpu.STORAGE_CLIENT);
    assertThat(ProcessCpu.part("jnr-fuse-mount-", false)).isEqualTo(ProcessCpu.FILE_SERVER);
    assertThat(ProcessCpu.part("S3Proxy-Jetty-1", false)).isEqualTo(ProcessCpu.S3_SERVER);
    assertThat(ProcessCpu.part("C2 CompilerThre", false)).isEqualTo(ProcessCpu.JIT);
    assertThat(ProcessCpu.part("C1 CompilerThre", false)).isEqualTo(ProcessCpu.JIT);
    assertThat(ProcessCpu.part("GC Thread#1", false)).isEqualTo(ProcessCpu.GC);
    assertThat(ProcessCpu.part("G1 Refine#0", false)).isEqualTo(ProcessCpu.GC);
    assertThat(ProcessCpu.part("main", false)).isEqualTo(ProcessCpu.OTHER);
    assertThat(ProcessCpu.part("thaw-chunk-3", true)).isEqualTo(ProcessCpu.VMM);
  }

  @Test
  void differencesAreSummedPerPartAndNewThreadsCountInFull() throws Exception {
    thread(10, 10, "java", 5_000_000);
    thread(10, 11, "thaw-chunk-1", 1_000_000);
    thread(10, 12, "C2 CompilerThre", 0);
    thread(20, 20, "qemu-system-x86", 40_000_000);
    ProcessCpu cpu = ProcessCpu.reading(proc, 10, List.of(20L));
    ProcessCpu.Sample before = cpu.sample();
    thread(10, 11, "thaw-chunk-1", 4_000_000);
    thread(10, 13, "thaw-chunk-2", 2_500_000);
    thread(10, 12, "C2 CompilerThre", 7_000_000);
    thread(20, 20, "qemu-system-x86", 50_000_000);
    thread(20, 21, "CPU 0/TCG", 30_000_000);

    Map<String, Double> ms = cpu.sample().millisSince(before);

    assertThat(ms.keySet()).containsExactlyElementsOf(ProcessCpu.PARTS);
    assertThat(ms.get(ProcessCpu.CHUNK_WORKERS)).isCloseTo(5.5, within(1e-9));
    assertThat(ms.get(ProcessCpu.JIT)).isCloseTo(7.0, within(1e-9));
    assertThat(ms.get(ProcessCpu.VMM)).isCloseTo(40.0, within(1e-9));
    assertThat(ms.get(ProcessCpu.OTHER)).isZero();
    assertThat(ms.get(ProcessCpu.S3_SERVER)).isZero();
  }

  @Test
  void aClassifierSeesEachThreadsProcessByNameAndFillsItsOwnParts() throws Exception {
    thread(10, 10, "java", 1_000_000);
    thread(20, 20, "java", 2_000_000);
    thread(20, 21, "thaw-agent-3", 3_000_000);
    thread(30, 30, "qemu-system-x86", 5_000_000);
    Files.writeString(proc.resolve("20/comm"), "java\n");
    Files.writeString(proc.resolve("30/comm"), "qemu-system-x86\n");
    ProcessCpu cpu =
        ProcessCpu.reading(
            proc,
            10,
            List.of(20L, 30L),
            List.of("agent", "vm", "self"),
            (process, thread, child) -> !child ? "self" : process.equals("java") ? "agent" : "vm");

    Map<String, Double> ms =
        cpu.sample().millisSince(ProcessCpu.reading(proc, 10, List.of()).sample());

    assertThat(ms)
        .containsExactly(Map.entry("agent", 5.0), Map.entry("vm", 5.0), Map.entry("self", 0.0));
  }

  @Test
  void aMissingTreeGivesZerosNotAnError() {
    ProcessCpu cpu = ProcessCpu.reading(proc.resolve("absent"), 1, List.of(2L));
    assertThat(cpu.sample().millisSince(cpu.sample()).values()).containsOnly(0.0);
  }

  @Test
  void countsThisJvmsNamedThreadsAndItsChildProcessesWhileTheyRun() throws Exception {
    ProcessCpu cpu = ProcessCpu.self();
    ProcessCpu.Sample before = cpu.sample();
    AtomicBoolean stop = new AtomicBoolean();
    Thread worker =
        new Thread(
            () -> {
              long until = System.nanoTime() + 30_000_000_000L; // bounded even if never stopped
              while (!stop.get() && System.nanoTime() < until) {
                Thread.onSpinWait();
              }
            },
            "thaw-chunk-test");
    worker.start();
    Process child = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
    try {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> cpu.sample().millisSince(before),
              ms -> ms.get(ProcessCpu.CHUNK_WORKERS) > 100 && ms.get(ProcessCpu.VMM) > 100);
    } finally {
      stop.set(true);
      worker.join();
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
