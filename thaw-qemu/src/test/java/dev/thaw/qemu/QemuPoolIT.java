package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.io.Digests;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.RestorePhases;
import dev.thaw.core.vmm.VmSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Restores on QEMUs started ahead ({@link VmmPool}, {@link PooledQemu}): the clone carries its
 * snapshot's state, a pooled QEMU serves snapshots of any memory size, one that died while idle is
 * not used, a restored snapshot is staged for its next cold start ({@link StagedRestores}) and
 * dropped when its files change, and closing the VMM leaves no QEMU behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QemuPoolIT {
  private static final Duration READY = Duration.ofSeconds(120);
  private static final Duration POOL = Duration.ofSeconds(60);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** hello in a guest of half the pool's usual memory. */
  private static final FunctionSpec SMALL = new FunctionSpec("hello-small", 128, 1, "hello", 0);

  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));
  private final List<RestorePhases> phases = new CopyOnWriteArrayList<>();
  private Path work;
  private VmSnapshot stateful;
  private VmSnapshot small;
  private JsonNode atSnapshot;

  @BeforeAll
  void snapshotTwoFunctions(@TempDir Path tempDir) throws Exception {
    work = tempDir;
    QemuVmm booting = TestVms.vmm(work.resolve("boots"));
    MicroVm vm = booting.boot(BuiltinFunctions.STATEFUL, READY);
    atSnapshot = invoke(vm);
    vm.pause();
    stateful = vm.snapshot(Files.createDirectories(work.resolve("stateful")));
    MicroVm hello = booting.boot(SMALL, READY);
    assertThat(client.get(hello.endpoint(), "/").status()).isEqualTo(200);
    hello.pause();
    small = hello.snapshot(Files.createDirectories(work.resolve("small")));
  }

  @AfterAll
  void noQemuProcessOutlivesTheTests() {
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }

  private QemuVmm pooled(Path root, int size) {
    return QemuVmm.builder()
        .image(TestVms.image())
        .workRoot(root)
        .pool(size)
        .restorePhases(phases::add)
        .build();
  }

  @Test
  void aCloneOnAPooledQemuCarriesItsSnapshotsStateAndThePoolRefills() throws Exception {
    Path root = work.resolve("pool-a");
    String digest = Digests.sha256(stateful.memoryFile());
    try (QemuVmm vmm = pooled(root, 2)) {
      assertThat(vmm.awaitPool(POOL)).isTrue();
      List<Long> waiting = pids(root);
      assertThat(waiting).hasSize(2);
      phases.clear();

      try (MicroVm clone = vmm.restore(stateful, READY)) {
        assertThat(phases).singleElement().satisfies(p -> assertThat(p.pooled()).isTrue());
        // The clone runs in one of the QEMUs that were waiting before the restore was asked for.
        assertThat(pids(root)).containsAnyElementsOf(waiting);
        JsonNode after = invoke(clone);
        assertThat(after.get("bootId")).isEqualTo(atSnapshot.get("bootId"));
        assertThat(after.get("checksum")).isEqualTo(atSnapshot.get("checksum"));
        assertThat(after.get("counter").asInt()).isEqualTo(atSnapshot.get("counter").asInt() + 1);
        JsonNode verify = JSON.readTree(client.get(clone.endpoint(), "/verify").body());
        assertThat(verify.get("intact").asBoolean()).isTrue();
        // The clone was not asked to announce itself to the network (StateMigration).
        JsonNode migration = ((QemuMicroVm) clone).query("query-migrate-parameters");
        assertThat(migration.path("announce-rounds").asInt(-1)).isZero();

        assertThat(vmm.awaitPool(POOL)).isTrue(); // two waiting again, beside the clone
        assertThat(pids(root)).hasSize(3);
      }
    }
    assertThat(TestVms.processesMentioning(root)).isEmpty();
    assertThat(Digests.sha256(stateful.memoryFile())).isEqualTo(digest);
  }

  @Test
  void onePooledQemuServesSnapshotsOfEitherMemorySize() throws Exception {
    Path root = work.resolve("pool-b");
    try (QemuVmm vmm = pooled(root, 1)) {
      for (VmSnapshot s : List.of(small, stateful, small)) {
        assertThat(vmm.awaitPool(POOL)).isTrue();
        phases.clear();
        try (MicroVm clone = vmm.restore(s, READY)) {
          assertThat(phases).singleElement().satisfies(p -> assertThat(p.pooled()).isTrue());
          FunctionClient.Response r = client.get(clone.endpoint(), "/");
          assertThat(r.status()).isEqualTo(200);
          assertThat(r.body()).contains(s.function().handler());
        }
      }
    }
    assertThat(TestVms.processesMentioning(root)).isEmpty();
  }

  @Test
  void aRestoredSnapshotIsStagedAgainAndItsNextColdStartOnlyResumesIt() throws Exception {
    Path root = work.resolve("pool-staged");
    Path copy = Files.createDirectories(work.resolve("stateful-copy"));
    VmSnapshot mine =
        new VmSnapshot(
            stateful.function(),
            stateful.vmm(),
            Files.copy(stateful.memoryFile(), copy.resolve("memory")),
            Files.copy(stateful.stateFile(), copy.resolve("state")),
            null,
            stateful.controlKey());
    try (QemuVmm vmm =
        QemuVmm.builder()
            .image(TestVms.image())
            .workRoot(root)
            .pool(1)
            .staged(1)
            .restorePhases(phases::add)
            .build()) {
      assertThat(vmm.awaitPool(POOL)).isTrue();
      phases.clear();
      try (MicroVm first = vmm.restore(mine, READY)) {
        assertThat(phases).singleElement().satisfies(p -> assertThat(p.staged()).isFalse());
        assertThat(invoke(first).get("bootId")).isEqualTo(atSnapshot.get("bootId"));
      }
      await().atMost(POOL).until(() -> vmm.staged() == 1);
      assertThat(vmm.awaitPool(POOL)).isTrue(); // the pool refilled beside the staged VM
      phases.clear();

      try (MicroVm clone = vmm.restore(mine, READY)) {
        assertThat(phases)
            .singleElement()
            .satisfies(
                p -> {
                  assertThat(p.staged()).isTrue();
                  assertThat(p.load()).isZero();
                });
        // A staged clone is a clone like any other: its snapshot's state, its own key and seed.
        JsonNode after = invoke(clone);
        assertThat(after.get("bootId")).isEqualTo(atSnapshot.get("bootId"));
        assertThat(after.get("counter").asInt()).isEqualTo(atSnapshot.get("counter").asInt() + 1);
        assertThat(((QemuMicroVm) clone).controlKey()).isNotEqualTo(mine.controlKey());
        assertThat(QemuVmm.control(clone, "/_thaw/random", client).status()).isEqualTo(200);
      }

      // Staged again; a snapshot rewritten under the same name is not served from the staging.
      await().atMost(POOL).until(() -> vmm.staged() == 1);
      Files.copy(stateful.stateFile(), copy.resolve("state"), StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(
          copy.resolve("state"), FileTime.fromMillis(System.currentTimeMillis() + 5_000));
      phases.clear();
      try (MicroVm clone = vmm.restore(mine, READY)) {
        assertThat(phases).singleElement().satisfies(p -> assertThat(p.staged()).isFalse());
        assertThat(invoke(clone).get("bootId")).isEqualTo(atSnapshot.get("bootId"));
      }

      // A snapshot that goes (evicted from the cache) takes its staged VM with it.
      await().atMost(POOL).until(() -> vmm.staged() == 1);
      Files.delete(copy.resolve("memory"));
      await().atMost(POOL).until(() -> vmm.staged() == 0);
      assertThat(vmm.awaitPool(POOL)).isTrue();
      assertThat(pids(root)).hasSize(1);
    }
    assertThat(TestVms.processesMentioning(root)).isEmpty();
  }

  @Test
  void aPooledQemuThatDiedWhileIdleIsNotUsed() throws Exception {
    Path root = work.resolve("pool-c");
    try (QemuVmm vmm = pooled(root, 1)) {
      assertThat(vmm.awaitPool(POOL)).isTrue();
      long idle = pids(root).get(0);
      ProcessHandle.of(idle).ifPresent(ProcessHandle::destroyForcibly);
      await().atMost(POOL).until(() -> ProcessHandle.of(idle).isEmpty());
      phases.clear();

      try (MicroVm clone = vmm.restore(stateful, READY)) {
        assertThat(phases).singleElement().satisfies(p -> assertThat(p.pooled()).isFalse());
        assertThat(invoke(clone).get("bootId")).isEqualTo(atSnapshot.get("bootId"));
      }
    }
    assertThat(TestVms.processesMentioning(root)).isEmpty();
  }

  /** The QEMU processes under {@code root} (setpriv has exec'd into QEMU: one process each). */
  private static List<Long> pids(Path root) {
    String needle = root.toString();
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains(needle))
        .filter(p -> p.info().command().orElse("").contains("qemu"))
        .map(ProcessHandle::pid)
        .toList();
  }

  private JsonNode invoke(MicroVm vm) throws Exception {
    FunctionClient.Response r = client.get(vm.endpoint(), "/");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }
}
