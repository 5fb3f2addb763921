package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.logs.LogStream;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A function's stdout and stderr reach the host line by line, each tagged with its stream and VM,
 * apart from the console; a clone does not repeat what its snapshot's VM wrote.
 */
class FunctionOutputIT {
  private static final Duration READY = Duration.ofSeconds(120);

  record Line(String function, String instance, LogStream stream, String text) {}

  private final Queue<Line> lines = new ConcurrentLinkedQueue<>();
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(20));
  @TempDir Path work;

  @AfterEach
  void noQemuProcessOutlivesTheTest() {
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  @Test
  void outputArrivesTaggedAndClonesDoNotRepeatWhatTheSnapshotsVmWrote() throws Exception {
    Path rootfs = TestRootfs.build(work, work.resolve("web.ext4"));
    QemuVmm vmm =
        QemuVmm.builder()
            .image(TestVms.image())
            .workRoot(work.resolve("vms"))
            .logs((f, i, s, t) -> lines.add(new Line(f, i, s, t)))
            .build();
    FunctionSpec fn =
        FunctionSpec.ofImage(
            "talker",
            256,
            1,
            new FunctionImage(
                rootfs,
                TestRootfs.digest(rootfs),
                TestRootfs.HTTPD,
                List.of("PATH=/bin"),
                "/",
                "0",
                TestRootfs.PORT));
    VmSnapshot snapshot;
    String booted;
    try (MicroVm vm = vmm.boot(fn, READY)) {
      booted = vm.id();
      assertThat(say(vm, "before")).isEqualTo("said");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> lines.contains(new Line("talker", booted, LogStream.STDERR, "err before")));
      assertThat(lines).contains(new Line("talker", booted, LogStream.STDOUT, "out before"));
      assertThat(vm.consoleTail()).doesNotContain("before");
      vm.pause();
      snapshot = vm.snapshot(Files.createDirectories(work.resolve("snapshot")));
    }
    try (MicroVm clone = vmm.restore(snapshot, Duration.ofSeconds(30))) {
      assertThat(say(clone, "after")).isEqualTo("said");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> lines.contains(new Line("talker", clone.id(), LogStream.STDOUT, "out after")));
      assertThat(lines).contains(new Line("talker", clone.id(), LogStream.STDERR, "err after"));
      assertThat(lines)
          .filteredOn(l -> l.instance().equals(clone.id()))
          .extracting(Line::text)
          .doesNotContain("out before", "err before");
    }
  }

  @Test
  void aCloneFloodingItsOutputIsHeldToTheRateAndLosesNothing() throws Exception {
    Path rootfs = TestRootfs.build(work, work.resolve("web.ext4"));
    java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
    QemuVmm vmm =
        QemuVmm.builder()
            .image(TestVms.image())
            .workRoot(work.resolve("vms"))
            .logRate(1 << 20)
            .logs((f, i, s, t) -> bytes.addAndGet(t.length() + 1))
            .build();
    FunctionSpec fn =
        FunctionSpec.ofImage(
            "flood",
            256,
            1,
            new FunctionImage(
                rootfs,
                TestRootfs.digest(rootfs),
                TestRootfs.HTTPD,
                List.of("PATH=/bin"),
                "/",
                "0",
                TestRootfs.PORT));
    VmSnapshot snap;
    try (MicroVm booted = vmm.boot(fn, READY)) {
      booted.pause();
      snap = booted.snapshot(Files.createDirectories(work.resolve("snap")));
    }
    try (MicroVm vm = vmm.restore(snap, Duration.ofSeconds(30))) {
      long t0 = System.nanoTime();
      FunctionClient.Response r =
          new FunctionClient(Duration.ofSeconds(120)).get(vm.endpoint(), "/cgi-bin/flood?6");
      await().atMost(Duration.ofSeconds(60)).until(() -> bytes.get() >= 6_000_000);
      // Every byte, once; at 1 MiB/s with one second's worth at once, 4.7 s at least.
      assertThat(bytes.get()).isEqualTo(6_000_000);
      assertThat((System.nanoTime() - t0) / 1e9).isGreaterThan(4.5);
    }
  }

  private String say(MicroVm vm, String text) {
    FunctionClient.Response r = client.get(vm.endpoint(), "/cgi-bin/say?" + text);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.body().strip();
  }
}
