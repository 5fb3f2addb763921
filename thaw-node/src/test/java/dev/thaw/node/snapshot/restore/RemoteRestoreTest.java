package dev.thaw.node.snapshot.restore;

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
import dev.thaw.node.snapshot.ColdStart;
import dev.thaw.node.snapshot.FaultyObjectStore;
import dev.thaw.node.snapshot.SnapshotNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eager remote restores on a {@link FakeVmm}, in milliseconds: into the cache or into scratch
 * space, and what a failed fetch leaves behind (nothing). Lazy restores and concurrent cold starts
 * with real microVMs are in {@code SnapshotManagerIT}.
 */
class RemoteRestoreTest {
  private static final FunctionSpec FN = new FunctionSpec("fn", 64, 1, "hello", 0);
  private static final Revision R1 = Revision.of("r1");
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  @TempDir Path dir;
  private final FakeVmm vmm = new FakeVmm();
  private final FaultyObjectStore objects = new FaultyObjectStore(new InMemoryObjectStore());
  private final RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();
  private final List<SnapshotNode> nodes = new ArrayList<>();
  private final List<MicroVm> vms = new ArrayList<>();

  private SnapshotNode node(String name, boolean cacheRemote) throws Exception {
    SnapshotNode n =
        SnapshotNode.builder(vmm, GUEST, dir.resolve(name))
            .manager(b -> b.mode(SnapshotMode.REMOTE).remote(store).cacheRemote(cacheRemote))
            .build();
    nodes.add(n);
    return n;
  }

  private ColdStart start(SnapshotNode n) {
    ColdStart c = n.manager().start(FN, R1);
    vms.add(c.vm());
    return c;
  }

  /** A first node boots, is invoked, and snapshots: the snapshot is in remote storage. */
  @BeforeEach
  void snapshotOnAnotherNode() throws Exception {
    SnapshotNode maker = node("maker", true);
    ColdStart first = start(maker);
    assertThat(first).isInstanceOf(ColdStart.Booted.class);
    ((FakeVmm.FakeVm) first.vm()).write("state of the first instance");
    maker
        .manager()
        .snapshotAfterFirstInvocation(first.vm(), FN, R1)
        .get()
        .verifiedClone()
        .ifPresent(vms::add);
    assertThat(store.revisions()).hasSize(1);
  }

  @AfterEach
  void stop() throws Exception {
    vms.forEach(MicroVm::close);
    for (SnapshotNode n : nodes) {
      n.close();
    }
    store.close();
    assertThat(vmm.running()).as("VMs left running").isZero();
  }

  @Test
  void aFetchedSnapshotBecomesACacheEntryThatTheNextColdStartRestores() throws Exception {
    SnapshotNode n = node("n", true);
    ColdStart fetched = start(n);
    assertThat(fetched).isInstanceOf(ColdStart.Remote.class);
    assertThat(body(fetched.vm())).isEqualTo("state of the first instance");
    assertThat(n.cache().revisions()).hasSize(1);

    ColdStart local = start(n);
    assertThat(local).isInstanceOf(ColdStart.Local.class);
    assertThat(body(local.vm())).isEqualTo("state of the first instance");
    assertNothingLeftIn("n", "scratch");
    assertNothingLeftIn("n", "cache/incoming");
  }

  @Test
  void withoutCachingEachFetchServesOneRestoreAndLeavesNothing() throws Exception {
    SnapshotNode n = node("n", false);
    for (int i = 0; i < 2; i++) {
      ColdStart fetched = start(n);
      assertThat(fetched).isInstanceOf(ColdStart.Remote.class);
      assertThat(body(fetched.vm())).isEqualTo("state of the first instance");
    }
    assertThat(n.cache().revisions()).isEmpty();
    assertNothingLeftIn("n", "scratch");
  }

  @Test
  void aFetchThatFailsLeavesNoEntryNorFilesAndTheColdStartBootsSayingWhy() throws Exception {
    objects.set(FaultyObjectStore.Fault.DOWN);
    for (boolean cacheRemote : new boolean[] {true, false}) {
      SnapshotNode n = node("n-" + cacheRemote, cacheRemote);
      ColdStart booted = start(n);
      assertThat(booted).isInstanceOf(ColdStart.Booted.class);
      assertThat(booted.fallback())
          .hasValueSatisfying(why -> assertThat(why).startsWith("remote storage unusable: "));
      assertThat(n.cache().revisions()).isEmpty();
      assertThat(n.cache().usedBytes()).as("the room reserved is given back").isZero();
      assertNothingLeftIn("n-" + cacheRemote, "scratch");
      assertNothingLeftIn("n-" + cacheRemote, "cache/incoming");
    }
  }

  /** Asserts that the node called {@code name} holds nothing under {@code sub}. */
  private void assertNothingLeftIn(String name, String sub) {
    Path where = dir.resolve(name).resolve(sub);
    // An early start's memory file goes once its VMM has opened it, just after the restore.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(list(where)).as(where.toString()).isEmpty());
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  private static String body(MicroVm vm) throws Exception {
    return new FunctionClient(Duration.ofSeconds(5)).get(vm.endpoint(), "/").body();
  }
}
