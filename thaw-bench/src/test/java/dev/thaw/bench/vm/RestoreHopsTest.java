package dev.thaw.bench.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.thaw.bench.vm.RestoreHops.Hop;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestoreHopsTest {
  @Test
  void eachColumnIsTheMedianOfItsPartAndTheRatioIsTheLastSetupsOverTheFirsts() {
    Map<String, List<Hop>> by = new LinkedHashMap<>();
    by.put(
        "no pool",
        List.of(
            new Hop(300, 250, 270, 0.3), new Hop(280, 240, 262, 0.2), new Hop(400, 300, 330, 1)));
    by.put(
        "pool of 1",
        List.of(
            new Hop(210, 180, 200, 0.2), new Hop(230, 190, 205, 0.4), new Hop(220, 185, 203, 0.3)));
    RestoreHops hops = new RestoreHops(by);

    List<String> lines = hops.table().lines().toList();
    assertThat(lines.get(0))
        .startsWith("local cold start (median ms)")
        .contains(
            "at the gateway", "agent startup", "agent invocation", "gateway hop", "placement");
    // no pool: totals 280/300/400, startups 240/250/300, answers 20/22/30, hops 18/30/70.
    assertThat(lines.get(1).split(" +"))
        .containsExactly("no", "pool", "3", "300.0", "250.0", "22.0", "30.0", "0.3");
    // pool of 1: answers 20/15/18, hops 10/25/17.
    assertThat(lines.get(2).split(" +"))
        .containsExactly("pool", "of", "1", "3", "220.0", "185.0", "18.0", "17.0", "0.3");
    assertThat(hops.lastOverFirstMedian())
        .hasValueSatisfying(r -> assertThat(r).isCloseTo(220.0 / 300, within(1e-9)));
  }

  @Test
  void aSetupWithoutLocalColdStartsShowsDashesAndGivesNoRatio() {
    Map<String, List<Hop>> by = new LinkedHashMap<>();
    by.put("no pool", List.of(new Hop(300, 250, 270, 0.3)));
    by.put("pool of 1", List.of());
    RestoreHops hops = new RestoreHops(by);
    assertThat(hops.table().lines().toList().get(2).split(" +"))
        .containsExactly("pool", "of", "1", "0", "-", "-", "-", "-", "-");
    assertThat(hops.lastOverFirstMedian()).isEmpty();
    assertThat(
            new RestoreHops(Map.of("no pool", List.of(new Hop(1, 1, 1, 1)))).lastOverFirstMedian())
        .isEmpty();
  }
}
