package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.RepeatedTest;

class FreePortsTest {

  /** Two forwarding rules of one VM on one host port make QEMU exit: the ports must differ. */
  @RepeatedTest(50)
  void portsChosenTogetherAreDistinct() throws Exception {
    int[] ports = QemuLauncher.freePorts(3);

    assertThat(ports).hasSize(3).doesNotHaveDuplicates();
    assertThat(Arrays.stream(ports)).allMatch(p -> p > 0 && p < 65536);
  }
}
