package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.FakeVmm;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.node.snapshot.cache.Tampering;
import dev.thaw.node.snapshot.make.Snapshotted;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The snapshot manager's decisions on a {@link FakeVmm}, in milliseconds: where each cold start
 * comes from, and what happens to a snapshot that is dead or damaged. The same paths with real
 * microVMs are in {@link SnapshotManagerIT} and {@link DeadSnapshotIT}.
 */
class SnapshotManagerTest {
  private static final FunctionSpec FN = new FunctionSpec("fn", 64, 1, "hello", 0);
  private static final SnapshotManifest.Guest GUEST =
      new SnapshotManifest.Guest("a".repeat(64), "b".repeat(64));

  @TempDir Path dir;
  private final FakeVmm vmm = new FakeVmm();
  private final List<MicroVm> started = new ArrayList<>();
  private SnapshotNode node;

  private SnapshotNode node(SnapshotMode mode) throws Exception {
    node =
        SnapshotNode.builder(vmm, GUEST, dir)
            .manager(b -> b.mode(mode).onDeadSnapshot(found -> {}))
            .build();
    return node;
  }

  private ColdStart start(String revision) {
    ColdStart c = node.manager().start(FN, Revision.of(revision));
    started.add(c.vm());
    return c;
  }

  /** Boots, invokes (the fake's memory changes), snapshots; returns the verified clone. */
  private Snapshotted bootAndSnapshot(String revision, String memory) throws Exception {
    ColdStart first = start(revision);
    assertThat(first).isInstanceOf(ColdStart.Booted.class);
    ((FakeVmm.FakeVm) first.vm()).write(memory);
    Snapshotted s =
        node.manager().snapshotAfterFirstInvocation(first.vm(), FN, Revision.of(revision)).get();
    s.verifiedClone().ifPresent(started::add);
    return s;
  }

  @AfterEach
  void stop() throws Exception {
    started.forEach(MicroVm::close);
    if (node != null) {
      node.close();
    }
    assertThat(vmm.running()).as("VMs left running").isZero();
  }

  @Test
  void disabledModeBootsEveryTimeAndNeverSnapshots() throws Exception {
    node(SnapshotMode.DISABLED);
    ColdStart first = start("r1");
    assertThat(first).isInstanceOf(ColdStart.Booted.class);
    assertThat(first.fallback()).isEmpty();
    Snapshotted s =
        node.manager().snapshotAfterFirstInvocation(first.vm(), FN, Revision.of("r1")).get();
    assertThat(s.manifest()).isEmpty();
    assertThat(first.vm().state()).hasToString("STOPPED");
    assertThat(start("r1")).isInstanceOf(ColdStart.Booted.class);
    assertThat(vmm.restores()).isZero();
  }

  @Test
  void aSnapshotIsVerifiedByAClone_thenLaterColdStartsRestoreItLocally() throws Exception {
    node(SnapshotMode.LOCAL);
    Snapshotted s = bootAndSnapshot("r1", "invoked once");
    assertThat(s.manifest()).hasValueSatisfying(m -> assertThat(m.revision()).isEqualTo("r1"));
    assertThat(s.verifiedClone()).isPresent();
    assertThat(node.cache().revisions()).containsExactly("r1");
    // The VMM was told to expect a restore of the snapshot as the cache holds it.
    assertThat(vmm.expected)
        .singleElement()
        .satisfies(
            e -> assertThat(e.memoryFile()).exists().startsWith(node.cache().entryDir("r1")));

    ColdStart again = start("r1");
    assertThat(again).isInstanceOf(ColdStart.Local.class);
    assertThat(again.fallback()).isEmpty();
    assertThat(body(again.vm())).isEqualTo("invoked once");
    assertThat(vmm.boots()).isEqualTo(1);
    assertThat(counter("thaw.snapshot.cold.starts", "source", "local")).isEqualTo(1);
  }

  @Test
  void aSnapshotWhoseFirstCloneDoesNotAnswerIsNeverCommitted() throws Exception {
    node(SnapshotMode.LOCAL);
    vmm.dead.add("stuck");
    Snapshotted s = bootAndSnapshot("r1", "stuck");
    assertThat(s.manifest()).isEmpty();
    assertThat(s.verifiedClone()).isEmpty();
    assertThat(node.cache().revisions()).isEmpty();
    assertThat(counter("thaw.snapshot.dead", "phase", "verify")).isEqualTo(1);
    assertThat(start("r1")).isInstanceOf(ColdStart.Booted.class);
  }

  @Test
  void aCachedSnapshotFoundDeadIsDroppedAndCostsTheDeadlineOnce() throws Exception {
    node(SnapshotMode.LOCAL);
    bootAndSnapshot("r1", "dies later");
    vmm.dead.add("dies later");
    int restores = vmm.restores();

    ColdStart dead = start("r1");
    assertThat(dead).isInstanceOf(ColdStart.Booted.class);
    assertThat(dead.fallback())
        .hasValueSatisfying(why -> assertThat(why).startsWith("snapshot dead"));
    assertThat(node.cache().revisions()).isEmpty();
    assertThat(counter("thaw.snapshot.dead", "phase", "restore")).isEqualTo(1);

    ColdStart next = start("r1");
    assertThat(next).isInstanceOf(ColdStart.Booted.class);
    assertThat(next.fallback()).as("no snapshot left to try").isEmpty();
    assertThat(vmm.restores()).isEqualTo(restores + 1);
  }

  @Test
  void aCloneStarvedOfCpuCondemnsNothing_theSnapshotServesOnceTheMachineHasCoresAgain()
      throws Exception {
    node(SnapshotMode.LOCAL);
    bootAndSnapshot("r1", "sound but starved");
    vmm.starved.add("sound but starved");

    ColdStart slow = start("r1");
    assertThat(slow).isInstanceOf(ColdStart.Booted.class);
    assertThat(slow.fallback())
        .hasValueSatisfying(
            why -> assertThat(why).startsWith("restore too slow").contains("snapshot is kept"));
    assertThat(node.cache().revisions()).containsExactly("r1");
    assertThat(counter("thaw.snapshot.dead", "phase", "restore")).isZero();
    assertThat(counter("thaw.snapshot.restores.too.slow", "phase", "restore")).isEqualTo(1);

    vmm.starved.clear();
    ColdStart restored = start("r1");
    assertThat(restored).isInstanceOf(ColdStart.Local.class);
    assertThat(body(restored.vm())).isEqualTo("sound but starved");
  }

  @Test
  void aNewSnapshotWhoseCloneIsStarvedIsNotCommittedNorCountedDead() throws Exception {
    node(SnapshotMode.LOCAL);
    vmm.starved.add("slow machine");
    Snapshotted s = bootAndSnapshot("r1", "slow machine");
    assertThat(s.manifest()).isEmpty();
    assertThat(node.cache().revisions()).isEmpty();
    assertThat(counter("thaw.snapshot.dead", "phase", "verify")).isZero();
    assertThat(counter("thaw.snapshot.restores.too.slow", "phase", "verify")).isEqualTo(1);
  }

  @Test
  void aDamagedCachedSnapshotFallsBackToABootAndIsDroppedForARefetch() throws Exception {
    node(SnapshotMode.LOCAL);
    bootAndSnapshot("r1", "damaged");
    vmm.corrupt.add("damaged");
    ColdStart c = start("r1");
    assertThat(c).isInstanceOf(ColdStart.Booted.class);
    assertThat(c.fallback())
        .hasValueSatisfying(why -> assertThat(why).startsWith("restore failed: snapshot damaged"));
    assertThat(node.cache().revisions()).isEmpty();
  }

  @Test
  void aCachedSnapshotWrittenInPlaceIsNotRestoredButBootedAndDropped() throws Exception {
    node(SnapshotMode.LOCAL);
    bootAndSnapshot("r1", "the answer is 42");
    ColdStart before = start("r1");
    assertThat(body(before.vm())).isEqualTo("the answer is 42");
    Path memory = node.cache().entryDir("r1").resolve("memory");

    Tampering.rewriteInPlace(memory, "42", "43");

    ColdStart after = start("r1");
    assertThat(after).isInstanceOf(ColdStart.Booted.class);
    assertThat(body(after.vm())).isNotEqualTo("the answer is 43");
    assertThat(node.cache().revisions()).isEmpty();
    assertThat(counter("thaw.snapshot.cache.corrupt", "found", "stat")).isEqualTo(1);
    assertThat(node.meters().counter("thaw.snapshot.cache.misses").count())
        .as("the cold start went on as on a miss")
        .isEqualTo(2);
  }

  @Test
  void aRevisionAlreadyCachedIsNotSnapshottedTwice() throws Exception {
    node(SnapshotMode.LOCAL);
    bootAndSnapshot("r1", "first");
    ColdStart other = node.manager().start(FN, Revision.of("r1"));
    // A second booted instance of the same revision (two cold starts raced): its snapshot is
    // skipped and the instance stopped.
    MicroVm booted = vmm.boot(FN, java.time.Duration.ofSeconds(1));
    Snapshotted s =
        node.manager().snapshotAfterFirstInvocation(booted, FN, Revision.of("r1")).get();
    started.add(other.vm());
    assertThat(s.manifest()).isEmpty();
    assertThat(s.verifiedClone()).isEmpty();
    assertThat(booted.state()).hasToString("STOPPED");
    assertThat(body(other.vm())).isEqualTo("first");
  }

  private double counter(String name, String tag, String value) {
    return Optional.ofNullable(node.meters().find(name).tag(tag, value).counter())
        .map(c -> c.count())
        .orElse(0.0);
  }

  private static String body(MicroVm vm) throws Exception {
    return new dev.thaw.core.function.FunctionClient(java.time.Duration.ofSeconds(5))
        .get(vm.endpoint(), "/")
        .body();
  }
}
