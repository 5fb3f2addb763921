package dev.thaw.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoadCpuTest {
  @Test
  void clientsGatewayAndJitAreToldApartByThreadAndAgentsAndVmsByProcess() {
    assertThat(LoadCpu.part("java", "thaw-load-3", false)).isEqualTo(LoadCpu.CLIENTS);
    assertThat(LoadCpu.part("java", "thaw-load-http-", false)).isEqualTo(LoadCpu.CLIENTS);
    assertThat(LoadCpu.part("java", "thaw-gateway-12", false)).isEqualTo(LoadCpu.GATEWAY);
    assertThat(LoadCpu.part("java", "thaw-gateway-he", false)).isEqualTo(LoadCpu.GATEWAY);
    assertThat(LoadCpu.part("java", "thaw-agent-clie", false)).isEqualTo(LoadCpu.GATEWAY);
    assertThat(LoadCpu.part("java", "GC Thread#0", false)).isEqualTo(LoadCpu.REST);
    assertThat(LoadCpu.part("java", "thaw-agent-7", true)).isEqualTo(LoadCpu.AGENT);
    assertThat(LoadCpu.part("java", "C2 CompilerThre", true)).isEqualTo(LoadCpu.AGENT_JIT);
    assertThat(LoadCpu.part("java", "C1 CompilerThre", false)).isEqualTo(LoadCpu.JIT);
    assertThat(LoadCpu.part("qemu-system-x86", "CPU 0/TCG", true)).isEqualTo(LoadCpu.VMS);
  }
}
