package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.store.InMemoryObjectStore;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.remote.RemoteSnapshotStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots are told apart by what they need to restore: nodes that boot another guest image (a
 * rolling upgrade) neither restore nor overwrite each other's snapshots, and a snapshot made for
 * another guest is refused by name. On a {@link FakeVmm} and an in-memory object store.
 */
class SnapshotVariantsTest {
  private static final FunctionSpec FN = new FunctionSpec("fn", 64, 1, "hello", 0);
  private static final Revision R1 = Revision.of("r1");
  private static final SnapshotManifest.Guest OLD =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));
  private static final SnapshotManifest.Guest NEW =
      new SnapshotManifest.Guest("c".repeat(64), "b".repeat(64));

  @TempDir Path dir;
  private final FakeVmm vmm = new FakeVmm();
  private final RemoteSnapshotStore store =
      RemoteSnapshotStore.builder(new InMemoryObjectStore()).build();
  private final List<SnapshotNode> nodes = new ArrayList<>();
  private final List<MicroVm> vms = new ArrayList<>();

  private SnapshotNode node(String name, SnapshotManifest.Guest guest, SnapshotMode mode)
      throws Exception {
    SnapshotNode n =
        SnapshotNode.builder(vmm, guest, dir.resolve(name))
            .manager(b -> b.mode(mode).remote(store))
            .build();
    nodes.add(n);
    return n;
  }

  private ColdStart start(SnapshotNode n) {
    ColdStart c = n.manager().start(FN, R1);
    vms.add(c.vm());
    return c;
  }

  /** Boots, writes {@code memory} into the instance, snapshots it (and uploads, remote mode). */
  private void bootAndSnapshot(SnapshotNode n, String memory) throws Exception {
    ColdStart first = start(n);
    assertThat(first).isInstanceOf(ColdStart.Booted.class);
    ((FakeVmm.FakeVm) first.vm()).write(memory);
    n.manager()
        .snapshotAfterFirstInvocation(first.vm(), FN, R1)
        .get()
        .verifiedClone()
        .ifPresent(vms::add);
  }

  @AfterEach
  void stop() throws Exception {
    vms.forEach(MicroVm::close);
    for (SnapshotNode n : nodes) {
      n.close();
    }
    store.close();
    assertThat(vmm.running()).isZero();
  }

  @Test
  void duringARollingUpgradeOldAndNewNodesEachRestoreTheirOwnSnapshots() throws Exception {
    bootAndSnapshot(node("old-1", OLD, SnapshotMode.REMOTE), "made by the old guest");

    // A new-guest node does not see the old guest's snapshot: it boots, without a fallback.
    SnapshotNode new1 = node("new-1", NEW, SnapshotMode.REMOTE);
    ColdStart booted = start(new1);
    assertThat(booted).isInstanceOf(ColdStart.Booted.class);
    assertThat(booted.fallback()).isEmpty();
    ((FakeVmm.FakeVm) booted.vm()).write("made by the new guest");
    new1.manager()
        .snapshotAfterFirstInvocation(booted.vm(), FN, R1)
        .get()
        .verifiedClone()
        .ifPresent(vms::add);
    assertThat(store.revisions()).hasSize(2).allSatisfy(n -> assertThat(n).startsWith("r1@"));

    // Fresh nodes of each kind restore from remote storage what their own kind made.
    ColdStart old2 = start(node("old-2", OLD, SnapshotMode.REMOTE));
    ColdStart new2 = start(node("new-2", NEW, SnapshotMode.REMOTE));
    assertThat(old2).isInstanceOf(ColdStart.Remote.class);
    assertThat(new2).isInstanceOf(ColdStart.Remote.class);
    assertThat(body(old2.vm())).isEqualTo("made by the old guest");
    assertThat(body(new2.vm())).isEqualTo("made by the new guest");
  }

  @Test
  void aCachedSnapshotOfAnotherGuestIsRefusedByNameAndDropped() throws Exception {
    SnapshotNode before = node("node", OLD, SnapshotMode.LOCAL);
    bootAndSnapshot(before, "old guest");
    before.close();
    nodes.remove(before);

    // The same node after an in-place guest upgrade, on the same cache directory.
    SnapshotNode after = node("node", NEW, SnapshotMode.LOCAL);
    assertThat(after.cache().revisions()).containsExactly("r1");
    ColdStart c = start(after);
    assertThat(c).isInstanceOf(ColdStart.Booted.class);
    assertThat(c.fallback())
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .isEqualTo(
                        "snapshot refused: snapshot made for guest kernel aaaaaaaaaaaa,"
                            + " initramfs bbbbbbbbbbbb; this node boots kernel cccccccccccc,"
                            + " initramfs bbbbbbbbbbbb"));
    // Dropped: at once, or, if the check at start still pinned it, by the next ask for it.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(after.cache().acquire("r1")).isEmpty();
              assertThat(after.cache().revisions()).isEmpty();
            });
    assertThat(vmm.restores()).as("no restore of the other guest's snapshot was tried").isOne();
  }

  private static String body(MicroVm vm) throws Exception {
    return new FunctionClient(Duration.ofSeconds(5)).get(vm.endpoint(), "/").body();
  }
}
