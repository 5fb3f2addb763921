package dev.thaw.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thaw.core.placement.ExpectedStart.Choice;
import dev.thaw.core.placement.ExpectedStart.Way;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ExpectedStartTest {
  private final ExpectedStart expected = new ExpectedStart(StartPriors.DEFAULT);

  private static StartMedians boot(long ms) {
    return StartMedians.of(ms, null, null, null, null);
  }

  private static NodeTimes making(String node, long bootMs, long cloneElapsedMs) {
    return new NodeTimes(
        node, true, 0, List.of(), List.of(cloneElapsedMs), 0, false, false, boot(bootMs));
  }

  @Test
  void aCloneBeingVerifiedBeatsABootOnAnIdleNode() {
    // The first invocation booted on node-1 in 8 s; its clone has been in the making for 1 s.
    var nodes =
        List.of(making("node-1", 8000, 1000), NodeTimes.empty("node-2", true, false, false));
    Choice best = expected.best(nodes, 0).orElseThrow();
    assertThat(best.node()).isEqualTo("node-1");
    assertThat(best.way()).isEqualTo(Way.CLONE);
    // Prior of a clone: a quarter of node-1's boot; 1 s of it has passed.
    assertThat(best.expectedMs()).isEqualTo(1000);
    // node-2's boot prior is the boot measured on node-1, not the fixed prior.
    assertThat(expected.rank(nodes, 0))
        .containsExactly(
            new Choice("node-1", Way.CLONE, 1000), new Choice("node-2", Way.BOOT, 8000));
  }

  @Test
  void aBootIsChosenWhenTheCloneIsAlreadyTakenByTheOneWaitingForIt() {
    var waitedFor =
        new NodeTimes("node-1", true, 0, List.of(), List.of(1000L), 1, false, false, boot(8000));
    var nodes = List.of(waitedFor, NodeTimes.empty("node-2", true, false, false));
    // The waiting invocation takes the clone; this one would wait for its run after, one local
    // restore's prior (400 ms) later: still sooner than a boot.
    assertThat(expected.best(nodes, 0).orElseThrow())
        .isEqualTo(new Choice("node-1", Way.BUSY, 1400));
    // Twenty waiting ahead of it: the clone serves them one after another, and a boot wins.
    assertThat(expected.best(nodes, 20).orElseThrow().way()).isEqualTo(Way.BOOT);
  }

  @Test
  void aWarmInstanceIsServedAtOnceAndARestoreBeatsABoot() {
    var warm =
        new NodeTimes("w", false, 1, List.of(), List.of(), 0, false, false, StartMedians.NONE);
    var cached = NodeTimes.empty("c", true, true, false);
    var cold = NodeTimes.empty("b", true, false, false);
    assertThat(expected.rank(List.of(cold, cached, warm), 0))
        .containsExactly(
            new Choice("w", Way.WARM, 0),
            new Choice("c", Way.LOCAL, 500),
            new Choice("b", Way.BOOT, 10_000));
  }

  @Test
  void measuredMediansReplaceThePriors() {
    var measured =
        new StartMedians(
            OptionalLong.of(6000),
            OptionalLong.of(120),
            OptionalLong.of(300),
            OptionalLong.of(900),
            OptionalLong.of(40));
    var cached = new NodeTimes("c", true, 0, List.of(), List.of(), 0, true, true, measured);
    var remote = NodeTimes.empty("r", true, false, true);
    assertThat(expected.rank(List.of(cached, remote), 0))
        .containsExactly(new Choice("c", Way.LOCAL, 120), new Choice("r", Way.REMOTE, 300));
  }

  @Test
  void aBusyInstanceIsWaitedForOnlyWhileItsRestIsShorterThanAStart() {
    StartMedians run = StartMedians.of(8000L, null, null, null, 200L);
    var busy = new NodeTimes("n", false, 0, List.of(50L), List.of(), 0, false, false, run);
    var other = NodeTimes.empty("m", true, false, false);
    assertThat(expected.best(List.of(busy, other), 0).orElseThrow())
        .isEqualTo(new Choice("n", Way.BUSY, 150));
    // Running for 20 s against a median of 200 ms: expected to need as long again, so a boot wins.
    var stuck = new NodeTimes("n", false, 0, List.of(20_000L), List.of(), 0, false, false, run);
    assertThat(expected.best(List.of(stuck, other), 0).orElseThrow())
        .isEqualTo(new Choice("m", Way.BOOT, 8000));
  }

  @Test
  void aNodeWithoutRoomOrInstancesIsLeftOut() {
    var full = NodeTimes.empty("full", false, true, false);
    assertThat(expected.rank(List.of(full), 0)).isEmpty();
    assertThat(expected.best(List.of(full), 0)).isEmpty();
  }

  @Test
  void theRestOfATaskNeverFallsToZeroAndGrowsPastItsMedian() {
    assertThat(ExpectedStart.remaining(1000, 200)).isEqualTo(800);
    assertThat(ExpectedStart.remaining(1000, 1000)).isEqualTo(100);
    assertThat(ExpectedStart.remaining(1000, 3000)).isEqualTo(2000);
    assertThat(ExpectedStart.remaining(0, 10)).isEqualTo(10);
  }

  @Test
  void priorsAreChecked() {
    assertThatThrownBy(() -> new StartPriors(0, 0.1, 0.1, 0.1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new StartPriors(1000, 0, 0.1, 0.1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(StartMedians.of(null, -1L, 5L, null, null).remoteMs()).hasValue(5);
    assertThat(StartMedians.of(null, -1L, 5L, null, null).localMs()).isEmpty();
  }
}
