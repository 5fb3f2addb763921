package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.bench.cluster.LocalCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The harness in thaw-bench starts {@code thaw agent} by the entry point's name and hands it the
 * token by the variable's name: both must name what this module defines.
 */
class LocalClusterWiringTest {
  @Test
  void theAgentsRunThisCommandLine() {
    assertThat(LocalCluster.THAW_MAIN).isEqualTo(Thaw.class.getName());
    assertThat(LocalCluster.childCommand(List.of("agent", "--help")))
        .startsWith("setpriv", "--pdeathsig", "TERM")
        .containsSubsequence(Thaw.class.getName(), "agent", "--help");
  }

  @Test
  void theAgentsReadTheTokenWhereTheCommandLineLooksForIt() {
    assertThat(LocalCluster.TOKEN_ENV).isEqualTo(TokenOptions.ENV);
  }
}
