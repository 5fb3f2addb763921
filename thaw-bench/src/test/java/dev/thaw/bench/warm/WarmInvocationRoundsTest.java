package dev.thaw.bench.warm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.bench.ModelRow;
import org.junit.jupiter.api.Test;

class WarmInvocationRoundsTest {
  @Test
  void theGatewaysKeptAliveRowIsTheOneTheModelReads() {
    assertThat(WarmInvocationRounds.keptAlive(WarmInvocationRounds.GATEWAY))
        .isEqualTo(ModelRow.GATEWAY_KEPT_ALIVE.label());
  }

  @Test
  void theRowsOfAPathTellTheConnectionKindsApart() {
    assertThat(WarmInvocationRounds.newConnection(WarmInvocationRounds.GUEST))
        .isEqualTo("guest, new connection")
        .doesNotEndWith(WarmInvocationRounds.keptAlive(""));
  }
}
