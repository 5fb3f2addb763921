package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.Digests;
import dev.thaw.core.vmm.BootException;
import dev.thaw.core.vmm.GuestTimeoutException;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Functions from a root filesystem image: the image's program serves invocations, the first
 * invocation's write is in the snapshot's disk, every clone reads it and writes only into its own
 * layer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QemuImageIT {
  private static final Logger log = LoggerFactory.getLogger(QemuImageIT.class);
  private static final Duration READY = Duration.ofSeconds(120);
  private static final Duration RESTORE = Duration.ofSeconds(30);

  /** Long enough for a boot under TCG (~10 s), short enough to keep the test quick. */
  private static final Duration PORT_DEADLINE = Duration.ofSeconds(40);

  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(20));
  private Path work;
  private Path rootfs;
  private QemuVmm vmm;

  private VmSnapshot snapshot;

  /** Boots the function, has its first invocation write a file, and snapshots it. */
  @BeforeAll
  void snapshotAFunctionAfterItsFirstInvocationWroteAFile(@TempDir Path tempDir) throws Exception {
    work = tempDir;
    rootfs = TestRootfs.build(work, work.resolve("web.ext4"));
    vmm = TestVms.vmm(work.resolve("vms"));
    MicroVm vm = vmm.boot(function("web", TestRootfs.HTTPD), READY);
    assertThat(get(vm, "/index.html")).isEqualTo("static");
    assertThat(get(vm, "/cgi-bin/get")).isEqualTo("none");
    assertThat(get(vm, "/cgi-bin/put?first")).isEqualTo("wrote first");
    vm.pause();
    snapshot = vm.snapshot(Files.createDirectories(work.resolve("snapshot")));
    assertThat(snapshot.disk()).contains(work.resolve("snapshot/disk"));
    log.info(
        "snapshot of a function from an image: layer {} KiB, state {} KiB",
        Files.size(snapshot.diskFile()) >> 10,
        Files.size(snapshot.stateFile()) >> 10);
  }

  @AfterAll
  void noQemuProcessOutlivesTheTests() {
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  private FunctionSpec function(String id, List<String> argv) throws Exception {
    return FunctionSpec.ofImage(
        id,
        256,
        1,
        new FunctionImage(
            rootfs,
            TestRootfs.digest(rootfs),
            argv,
            List.of("PATH=/bin"),
            "/",
            "0",
            TestRootfs.PORT));
  }

  @Test
  void theFunctionRunsAsItsUserWithItsSupplementaryGroupsAndHome() throws Exception {
    FunctionSpec app =
        FunctionSpec.ofImage(
            "app",
            256,
            1,
            new FunctionImage(
                rootfs,
                TestRootfs.digest(rootfs),
                TestRootfs.HTTPD,
                List.of("PATH=/bin", "HOME=/home/app"),
                "/",
                "1000:1000",
                List.of(1000, 2000, 3000),
                TestRootfs.PORT));
    try (MicroVm vm = vmm.boot(app, READY)) {
      List<String> id = get(vm, "/cgi-bin/id").lines().toList();
      assertThat(id.get(0)).isEqualTo("uid 1000 gid 1000");
      assertThat(id.get(1).split("\\s+")).containsExactly("Groups:", "1000", "2000", "3000");
      assertThat(get(vm, "/cgi-bin/env").lines()).contains("HOME=/home/app");
    }
  }

  @Test
  void everyCloneReadsTheFirstInvocationsWriteAndKeepsItsOwnWritesToItself() throws Exception {
    String rootfsBefore = Digests.sha256(rootfs);
    String layerAtSnapshot = Digests.sha256(snapshot.diskFile());
    try (MicroVm a = vmm.restore(snapshot, RESTORE);
        MicroVm b = vmm.restore(snapshot, RESTORE)) {
      assertThat(get(a, "/cgi-bin/get")).isEqualTo("first");
      assertThat(get(b, "/cgi-bin/get")).isEqualTo("first");
      assertThat(get(a, "/cgi-bin/put?from-a")).isEqualTo("wrote from-a");
      assertThat(get(b, "/cgi-bin/put?from-b")).isEqualTo("wrote from-b");
      assertThat(get(a, "/cgi-bin/get")).isEqualTo("from-a");
      assertThat(get(b, "/cgi-bin/get")).isEqualTo("from-b");
      // Both have their writes on their disks, not only in their page caches.
      for (MicroVm clone : List.of(a, b)) {
        assertThat(QemuVmm.control(clone, "/_thaw/sync", client).status()).isEqualTo(200);
      }
      assertThat(get(a, "/cgi-bin/get")).isEqualTo("from-a");
    }
    try (MicroVm c = vmm.restore(snapshot, RESTORE)) {
      assertThat(get(c, "/cgi-bin/get")).isEqualTo("first");
    }
    assertThat(Digests.sha256(snapshot.diskFile()))
        .as("the snapshot's layer after three clones")
        .isEqualTo(layerAtSnapshot);
    assertThat(Digests.sha256(rootfs)).as("the root filesystem image").isEqualTo(rootfsBefore);
  }

  /**
   * Logs what a restore of the function from an image costs beside one of {@code hello}, taken in
   * turns in one run (the machine's load changes from run to run), until each answered its first
   * invocation.
   */
  @Test
  void restoresBesideHello() throws Exception {
    MicroVm hello = vmm.boot(BuiltinFunctions.HELLO, READY);
    hello.pause();
    VmSnapshot helloSnapshot = hello.snapshot(Files.createDirectories(work.resolve("hello")));
    List<Long> image = new ArrayList<>();
    List<Long> imageAnswered = new ArrayList<>();
    List<Long> builtIn = new ArrayList<>();
    List<Long> builtInAnswered = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      long t0 = System.nanoTime();
      try (MicroVm clone = vmm.restore(snapshot, RESTORE)) {
        image.add(System.nanoTime() - t0);
        assertThat(get(clone, "/index.html")).isEqualTo("static");
        imageAnswered.add(System.nanoTime() - t0);
      }
      t0 = System.nanoTime();
      try (MicroVm clone = vmm.restore(helloSnapshot, RESTORE)) {
        builtIn.add(System.nanoTime() - t0);
        assertThat(client.get(clone.endpoint(), "/").status()).isEqualTo(200);
        builtInAnswered.add(System.nanoTime() - t0);
      }
    }
    log.info(
        "median of {} restores, until restore returned / until the first invocation answered:"
            + " {} / {} ms from an image (busybox httpd), {} / {} ms hello; all: {} {} {} {}",
        image.size(),
        median(image),
        median(imageAnswered),
        median(builtIn),
        median(builtInAnswered),
        millis(image),
        millis(imageAnswered),
        millis(builtIn),
        millis(builtInAnswered));
  }

  private static List<Long> millis(List<Long> nanos) {
    return nanos.stream().map(n -> n / 1_000_000).toList();
  }

  private static long median(List<Long> nanos) {
    return nanos.stream().sorted().toList().get(nanos.size() / 2) / 1_000_000;
  }

  @Test
  void aFunctionWhosePortNeverOpensFailsAtItsDeadlineNamingThePort() throws Exception {
    FunctionSpec silent = function("silent", List.of("/bin/busybox", "sleep", "3600"));
    assertThatThrownBy(() -> vmm.boot(silent, PORT_DEADLINE))
        .isInstanceOf(GuestTimeoutException.class)
        .hasMessageContaining(
            "did not open its port " + TestRootfs.PORT + " within " + PORT_DEADLINE)
        .hasMessageContaining("silent");
    assertNothingLeft("boot-silent");
  }

  @Test
  void aFunctionThatEndsBeforeOpeningItsPortFailsWithoutWaitingForTheDeadline() throws Exception {
    FunctionSpec quitter = function("quitter", List.of("/bin/busybox", "false"));
    assertThatThrownBy(() -> vmm.boot(quitter, READY))
        .isInstanceOf(BootException.class)
        .hasMessageContaining("ended before opening its port " + TestRootfs.PORT)
        .hasMessageContaining("status 1");
    assertNothingLeft("boot-quitter");
  }

  private void assertNothingLeft(String workDirPrefix) throws Exception {
    assertThat(TestVms.processesMentioning(work.resolve("vms"))).isEmpty();
    try (Stream<Path> dirs = Files.list(work.resolve("vms"))) {
      assertThat(dirs.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(workDirPrefix));
    }
  }

  private String get(MicroVm vm, String path) {
    FunctionClient.Response r = client.get(vm.endpoint(), path);
    assertThat(r.status()).as("%s %s", path, r.body()).isEqualTo(200);
    return r.body().strip();
  }
}
