package dev.thaw.qemu;

import java.nio.file.Path;
import java.util.List;

/** Fixtures for tests that boot real QEMU microVMs. */
final class TestVms {
  private TestVms() {}

  /** The guest image, built once per recipe into the user's cache (minutes the first time). */
  static GuestImage image() {
    return GuestImage.ensure(System.out::println);
  }

  static QemuVmm vmm(Path workRoot) {
    return QemuVmm.builder().image(image()).workRoot(workRoot).build();
  }

  /** Command lines of running processes that mention {@code path}: leaked VMs show up here. */
  static List<String> processesMentioning(Path path) {
    String needle = path.toString();
    return ProcessHandle.allProcesses()
        .map(p -> p.info().commandLine().orElse(""))
        .filter(c -> c.contains(needle) && c.contains("qemu"))
        .toList();
  }
}
