package dev.thaw.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.Revision;
import dev.thaw.core.placement.ExpectedStart;
import dev.thaw.core.placement.PlacementScorer;
import dev.thaw.core.placement.StartPriors;
import dev.thaw.node.protocol.RevisionLoad;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The order in which nodes are offered an invocation, from views alone. */
class PlacementTest {
  private static final Revision FN = Revision.of("fn");

  private static NodeViews.View up(int active, int capacity, Set<String> cached, int warm) {
    return new NodeViews.View(
        true, active, capacity, cached, warm == 0 ? Map.of() : Map.of(FN.value(), warm));
  }

  private static Placement placement(long seed) {
    return new Placement(PlacementScorer.snapshotAware(0.5), new Random(seed));
  }

  @Test
  void nodesWithAWarmInstanceComeFirstByNameThenTheScorersRanking() {
    Map<String, NodeViews.View> views = new LinkedHashMap<>();
    views.put("c", up(1, 4, Set.of(), 1));
    views.put("a", up(3, 4, Set.of(), 2));
    views.put("b", up(0, 4, Set.of(), 0));
    views.put("d", up(0, 4, Set.of(FN.value()), 0));

    // d caches the snapshot and is idle: first among the cold starts; b is idle without it.
    assertThat(placement(1).order(FN, views)).containsExactly("a", "c", "d", "b");
  }

  @Test
  void aDownNodeIsNeverOfferedEvenWithAWarmInstanceRemembered() {
    Map<String, NodeViews.View> views = new LinkedHashMap<>();
    views.put("a", new NodeViews.View(false, 0, 4, Set.of(), Map.of(FN.value(), 1)));
    views.put("b", up(0, 4, Set.of(), 0));

    assertThat(placement(1).order(FN, views)).containsExactly("b");
  }

  @Test
  void whenEveryNodeLookedFullTheHealthyOnesAreAskedByName() {
    Map<String, NodeViews.View> views = new LinkedHashMap<>();
    views.put("b", up(4, 4, Set.of(), 0));
    views.put("a", up(4, 4, Set.of(), 0));
    views.put("c", NodeViews.View.DOWN);

    assertThat(placement(1).order(FN, views)).containsExactly("a", "b");
  }

  @Test
  void everyNodeDownIsAnEmptyOrder() {
    assertThat(placement(1).order(FN, Map.of("a", NodeViews.View.DOWN, "b", NodeViews.View.DOWN)))
        .isEmpty();
  }

  @Test
  void equalScoresTakeTurnsFirstAndUnequalOnesNever() {
    Map<String, NodeViews.View> views = new LinkedHashMap<>();
    views.put("a", up(0, 4, Set.of(), 0));
    views.put("b", up(0, 4, Set.of(), 0));
    views.put("busy", up(3, 4, Set.of(), 0));
    Placement placement = placement(7);
    Set<String> firsts = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      List<String> order = placement.order(FN, views);
      assertThat(order).hasSize(3).endsWith("busy");
      firsts.add(order.get(0));
    }
    assertThat(firsts).containsExactlyInAnyOrder("a", "b");
  }

  private static NodeViews.View reported(int active, int capacity, RevisionLoad load) {
    return new NodeViews.View(
        true,
        active,
        capacity,
        Set.of(),
        Map.of(),
        false,
        Map.of(FN.value(), load),
        System.nanoTime());
  }

  private static Placement expectedTime() {
    return new Placement(
        PlacementScorer.snapshotAware(0.5),
        new Random(1),
        Optional.of(new ExpectedStart(StartPriors.DEFAULT)));
  }

  @Test
  void byExpectedTimeACloneBeingVerifiedComesBeforeABootElsewhere() {
    Map<String, NodeViews.View> views = new LinkedHashMap<>();
    views.put("b", up(0, 4, Set.of(), 0));
    views.put(
        "a",
        reported(
            1,
            4,
            new RevisionLoad(
                FN.value(), 0, List.of(), List.of(500L), 0, 8000L, null, null, null, null)));

    Placement.Plan plan = expectedTime().plan(FN, views, 0, true);
    assertThat(plan.order()).containsExactly("a", "b");
    assertThat(plan.busy()).isEmpty();
  }

  @Test
  void byExpectedTimeAnInstanceAboutToFreeIsWaitedForInTheQueueUnlessThereIsNone() {
    Map<String, NodeViews.View> views = new LinkedHashMap<>();
    views.put("b", up(0, 4, Set.of(), 0));
    views.put(
        "a",
        reported(
            1,
            1,
            new RevisionLoad(
                FN.value(), 0, List.of(50L), List.of(), 0, 8000L, null, null, null, 200L)));

    Placement.Plan plan = expectedTime().plan(FN, views, 0, true);
    assertThat(plan.busy()).map(ExpectedStart.Choice::node).contains("a");
    // No queue to wait in: the boot on b.
    Placement.Plan noQueue = expectedTime().plan(FN, views, 0, false);
    assertThat(noQueue.busy()).isEmpty();
    assertThat(noQueue.order()).containsExactly("b");
    // Forty invocations queued ahead: the busy instance would serve them first; b boots.
    assertThat(expectedTime().plan(FN, views, 40, true).order()).startsWith("b");
  }
}
