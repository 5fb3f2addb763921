package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.Digests;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.RestoreCorruptException;
import dev.thaw.core.vmm.RestoreIncompatibleException;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmState;
import dev.thaw.core.vmm.VmmIdentity;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One stateful snapshot, many restores: the scenarios share it to keep the suite short. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QemuSnapshotIT {
  private static final Duration READY = Duration.ofSeconds(120);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Path work;

  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));
  private QemuVmm vmm;
  private VmSnapshot snapshot;
  private JsonNode atSnapshot;

  @BeforeAll
  void snapshotTheStatefulFunctionAfterItsFirstInvocation(@TempDir Path tempDir) throws Exception {
    work = tempDir;
    vmm = TestVms.vmm(work.resolve("vms"));
    MicroVm vm = vmm.boot(BuiltinFunctions.STATEFUL, READY);
    atSnapshot = invoke(vm);
    assertThat(atSnapshot.get("counter").asInt()).isEqualTo(1);
    vm.pause();
    snapshot = vm.snapshot(Files.createDirectories(work.resolve("snapshot")));
    assertThat(vm.state()).isEqualTo(VmState.STOPPED);
  }

  @AfterAll
  void noQemuProcessOutlivesTheTests() {
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  /**
   * The dead-snapshot case: QEMU's user-mode network is not part of a snapshot, so a connection the
   * guest holds at the pause has no peer in any clone. With the guest of 46d0d42 (no receive
   * timeout) and a pause that did not wait, every clone of such a snapshot stayed silent.
   */
  @Test
  void aConnectionTheGuestHoldsWhenPausedDoesNotSilenceItsClones() throws Exception {
    MicroVm vm = vmm.boot(BuiltinFunctions.HELLO, READY);
    Path dir = Files.createDirectories(work.resolve("held"));
    VmSnapshot held;
    try (java.net.Socket silent =
        new java.net.Socket(vm.endpoint().getHost(), vm.endpoint().getPort())) {
      // Sends nothing: the guest's server accepts it and waits for a request.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> !((QemuMicroVm) vm).openConnections().isEmpty());
      vm.pause();
      held = vm.snapshot(dir);
    }
    long t0 = System.nanoTime();
    try (MicroVm clone = vmm.restore(held, Duration.ofSeconds(10))) {
      assertThat(client.get(clone.endpoint(), "/").status()).isEqualTo(200);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void threeConcurrentClonesCarryTheStateAndCountIndependently() throws Exception {
    String digestBefore = Digests.sha256(snapshot.memoryFile());
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<MicroVm> clones = new ArrayList<>();
    try {
      List<Future<MicroVm>> starts = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        starts.add(pool.submit(() -> vmm.restore(snapshot, READY)));
      }
      for (Future<MicroVm> f : starts) {
        clones.add(f.get());
      }
      // The guest's kernel and root filesystem are in the snapshot: a restore reads no image.
      List<String> restoring =
          TestVms.processesMentioning(work).stream().filter(c -> c.contains("-incoming")).toList();
      assertThat(restoring)
          .hasSize(3)
          .noneMatch(c -> c.contains("-kernel") || c.contains("-initrd"));
      // Invoke clone 0 three times, clone 1 twice, clone 2 once: counters must not mix.
      for (int i = 0; i < clones.size(); i++) {
        JsonNode last = null;
        for (int n = 0; n < 3 - i; n++) {
          last = invoke(clones.get(i));
        }
        assertThat(last.get("bootId")).isEqualTo(atSnapshot.get("bootId"));
        assertThat(last.get("checksum")).isEqualTo(atSnapshot.get("checksum"));
        assertThat(last.get("counter").asInt()).isEqualTo(1 + 3 - i);
        JsonNode verify = JSON.readTree(client.get(clones.get(i).endpoint(), "/verify").body());
        assertThat(verify.get("intact").asBoolean()).isTrue();
      }
    } finally {
      clones.forEach(MicroVm::close);
      pool.shutdownNow();
    }
    assertThat(Digests.sha256(snapshot.memoryFile())).isEqualTo(digestBefore);
  }

  @Test
  void aTruncatedMemoryFileIsRefusedAsCorrupt() throws Exception {
    Path dir = Files.createDirectories(work.resolve("truncated"));
    Path memory = Files.copy(snapshot.memoryFile(), dir.resolve("memory"));
    try (RandomAccessFile f = new RandomAccessFile(memory.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    VmSnapshot damaged =
        new VmSnapshot(snapshot.function(), snapshot.vmm(), memory, snapshot.stateFile());
    assertThatThrownBy(() -> vmm.restore(damaged, READY))
        .isInstanceOf(RestoreCorruptException.class)
        .hasMessageContaining("truncated");
    assertThat(Files.size(memory)).isEqualTo(snapshot.function().memoryBytes() / 2);
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  @Test
  void aGarbledStateFileIsRefusedAsCorruptAndLeavesNoProcess() throws Exception {
    Path state = work.resolve("garbled-state");
    Files.write(state, "not a QEMU migration stream".getBytes());
    VmSnapshot damaged =
        new VmSnapshot(snapshot.function(), snapshot.vmm(), snapshot.memoryFile(), state);
    assertThatThrownBy(() -> vmm.restore(damaged, READY))
        .isInstanceOf(RestoreCorruptException.class)
        .hasMessageContaining("could not load the snapshot state");
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  @Test
  void aStateFileFromAVmWithAnotherMemorySizeIsRefusedAsIncompatible() throws Exception {
    FunctionSpec small = new FunctionSpec("hello-small", 128, 1, "hello", 0);
    MicroVm vm = vmm.boot(small, READY);
    vm.pause();
    VmSnapshot smallSnapshot = vm.snapshot(Files.createDirectories(work.resolve("small")));
    VmSnapshot mixed =
        new VmSnapshot(
            snapshot.function(), snapshot.vmm(), snapshot.memoryFile(), smallSnapshot.stateFile());
    assertThatThrownBy(() -> vmm.restore(mixed, READY))
        .isInstanceOf(RestoreIncompatibleException.class)
        .hasMessageContaining("memory layout");
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  @Test
  void aSnapshotFromAnotherVmmIsRefusedBeforeQemuStarts() {
    VmmIdentity other = new VmmIdentity("qemu", "9.1.0", "kvm", "microvm");
    VmSnapshot foreign =
        new VmSnapshot(snapshot.function(), other, snapshot.memoryFile(), snapshot.stateFile());
    assertThatThrownBy(() -> vmm.restore(foreign, READY))
        .isInstanceOf(RestoreIncompatibleException.class)
        .hasMessageContaining("cannot be restored by");
  }

  private JsonNode invoke(MicroVm vm) {
    FunctionClient.Response r = client.get(vm.endpoint(), "/");
    assertThat(r.status()).isEqualTo(200);
    return JSON.readTree(r.body());
  }
}
