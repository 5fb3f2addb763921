package dev.thaw.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.node.protocol.FunctionInfo;
import dev.thaw.node.protocol.ImageDeployment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A deployment joined with what the nodes last showed of it. */
class FunctionListingTest {
  @Test
  void eachFunctionNamesTheNodesCachingItAndCountsItsWarmInstancesAcrossThem() {
    Map<String, NodeViews.View> views = new LinkedHashMap<>();
    views.put("n2", new NodeViews.View(true, 2, 4, Set.of("hello"), Map.of("hello", 2)));
    views.put("n1", new NodeViews.View(true, 1, 4, Set.of("hello", "other"), Map.of("hello", 1)));
    views.put("n3", new NodeViews.View(true, 0, 4, Set.of(), Map.of("other", 1)));
    List<Deployments.Entry> deployed =
        List.of(
            new Deployments.Entry("hello", BuiltinFunctions.HELLO, BuiltinFunctions.HELLO),
            new Deployments.Entry("other", ImageDeployment.of("fn:v1"), BuiltinFunctions.HELLO));

    List<FunctionInfo> listed = FunctionListing.of(deployed, views);

    assertThat(listed)
        .containsExactly(
            new FunctionInfo(
                "hello", "", "", BuiltinFunctions.HELLO.memoryMib(), List.of("n1", "n2"), 3),
            new FunctionInfo(
                "other", "fn:v1", "", BuiltinFunctions.HELLO.memoryMib(), List.of("n1"), 1));
  }
}
