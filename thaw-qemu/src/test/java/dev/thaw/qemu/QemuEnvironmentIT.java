package dev.thaw.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.vmm.MicroVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real QEMU started by {@link QemuVmm} from a JVM whose environment holds credentials (set for
 * this module's integration tests in its pom): QEMU's {@code /proc/<pid>/environ} has none.
 */
class QemuEnvironmentIT {
  @TempDir Path work;

  @Test
  void qemuInheritsNoneOfTheNodesCredentials() throws Exception {
    assertThat(System.getenv("AWS_SECRET_ACCESS_KEY"))
        .as("AWS_SECRET_ACCESS_KEY in this JVM's environment (failsafe's configuration)")
        .isNotNull();
    QemuVmm vmm = TestVms.vmm(work);
    try (MicroVm vm = vmm.boot(BuiltinFunctions.HELLO, Duration.ofSeconds(120))) {
      List<ProcessHandle> qemu =
          ProcessHandle.allProcesses()
              .filter(
                  p -> {
                    String c = p.info().commandLine().orElse("");
                    return c.contains(work.toString()) && c.contains("qemu");
                  })
              .toList();
      assertThat(qemu).hasSize(1);
      Map<String, String> env =
          ChildEnvironmentTest.parseEnviron(
              Files.readAllBytes(Path.of("/proc", Long.toString(qemu.get(0).pid()), "environ")));
      assertThat(env)
          .doesNotContainKeys("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "THAW_IT_TOKEN");
      assertThat(ChildEnvironment.QEMU).containsAll(env.keySet());
      assertThat(env).isEqualTo(ChildEnvironment.forQemu(System.getenv()));
    }
    assertThat(TestVms.processesMentioning(work)).isEmpty();
  }
}
