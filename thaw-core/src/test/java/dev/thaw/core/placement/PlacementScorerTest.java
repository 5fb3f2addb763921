package dev.thaw.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementScorerTest {
  private static NodeState node(String name, int active, int capacity, String... cached) {
    return new NodeState(name, true, active, capacity, Set.of(cached));
  }

  @Test
  void spreadingPicksTheLeastLoadedNode() {
    var nodes = List.of(node("a", 3, 4), node("b", 1, 4, "r"), node("c", 2, 4));
    assertThat(PlacementScorer.spreading().pick("r", nodes)).contains("b");
    assertThat(PlacementScorer.spreading().score("r", nodes))
        .extracting(NodeScore::node)
        .containsExactly("b", "c", "a");
  }

  @Test
  void snapshotAwarePrefersTheCachingNodeOverSmallLoadDifferences() {
    var nodes = List.of(node("a", 0, 4), node("b", 2, 4, "r"));
    assertThat(PlacementScorer.spreading().pick("r", nodes)).contains("a");
    assertThat(PlacementScorer.snapshotAware(0.5).pick("r", nodes)).contains("b");
  }

  @Test
  void aSmallBonusLosesToALargeLoadDifference() {
    var nodes = List.of(node("a", 0, 10), node("b", 8, 10, "r"));
    assertThat(PlacementScorer.snapshotAware(0.2).pick("r", nodes)).contains("a");
  }

  @Test
  void neverSendsWorkToAnOverloadedOrUnhealthyNode() {
    var full = node("cached-but-full", 4, 4, "r");
    var sick = new NodeState("cached-but-sick", false, 0, 4, Set.of("r"));
    var idle = node("idle", 3, 4);
    PlacementScorer scorer = PlacementScorer.snapshotAware(1.0);
    assertThat(scorer.pick("r", List.of(full, sick, idle))).contains("idle");
    assertThat(scorer.pick("r", List.of(full, sick))).isEmpty();
  }

  @Test
  void extenderScoresStayWithinZeroToTen() {
    var nodes = List.of(node("a", 0, 4, "r"), node("b", 3, 4), node("c", 0, 1));
    for (NodeScore s : PlacementScorer.snapshotAware(0.5).score("r", nodes)) {
      assertThat(s.extenderScore()).isBetween(0, 10);
    }
    assertThat(PlacementScorer.snapshotAware(0.5).score("r", nodes).get(0).extenderScore())
        .isEqualTo(10);
  }

  @Test
  void tiesGoToTheNameFirstInOrderSoPlacementIsDeterministic() {
    var nodes = List.of(node("b", 1, 4), node("a", 1, 4));
    assertThat(PlacementScorer.spreading().pick("r", nodes)).contains("a");
  }

  @Test
  void policiesByName() {
    assertThat(PlacementScorer.named("default").pick("r", List.of(node("a", 0, 1)))).contains("a");
    assertThatThrownBy(() -> PlacementScorer.named("random"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("default, snapshot-aware or expected-time");
  }
}
