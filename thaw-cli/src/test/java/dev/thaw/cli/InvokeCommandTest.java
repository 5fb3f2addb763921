package dev.thaw.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class InvokeCommandTest {
  @Test
  void aColdStartWithoutASnapshotIsABoot() {
    assertThat(InvokeCommand.start("cold", Optional.of("none"))).isEqualTo("boot");
  }

  @Test
  void aRestoreNamesWhereItsSnapshotCameFrom() {
    assertThat(InvokeCommand.start("cold", Optional.of("local"))).isEqualTo("cold (local)");
    assertThat(InvokeCommand.start("cold", Optional.of("remote"))).isEqualTo("cold (remote)");
  }

  @Test
  void aWarmStartOrAnUnknownOneIsPrintedAsTheAgentSaidIt() {
    assertThat(InvokeCommand.start("warm", Optional.empty())).isEqualTo("warm");
    assertThat(InvokeCommand.start("?", Optional.empty())).isEqualTo("?");
  }
}
