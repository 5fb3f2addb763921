package dev.thaw.qemu;

import java.io.IOException;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * What QMP says of a guest that does not answer: run state, the vCPU's registers (where it sits),
 * its local APIC, and the rings of each virtio device (a ring the device waits on while the guest
 * thinks it has nothing to do is a lost notification). Best effort: each part that fails says so,
 * and the rest is still asked.
 */
final class QmpDiagnosis {
  private QmpDiagnosis() {}

  /** The report, one indented part per question, for a failure's VMM output. */
  static String of(QmpClient qmp) {
    StringBuilder s = new StringBuilder("QMP state at the deadline:");
    ask(qmp, s, "query-status", Map.of());
    hmp(qmp, s, "info registers");
    hmp(qmp, s, "info lapic");
    hmp(qmp, s, "info pic");
    try {
      for (JsonNode device : qmp.execute("x-query-virtio", Map.of())) {
        String path = device.path("path").asString("");
        ask(qmp, s, "x-query-virtio-status", Map.of("path", path));
        for (int queue = 0; queue < 2; queue++) {
          ask(qmp, s, "x-query-virtio-queue-status", Map.of("path", path, "queue", queue));
        }
      }
    } catch (IOException | RuntimeException e) {
      s.append("\n  x-query-virtio: ").append(e.getMessage());
    }
    return s.toString();
  }

  private static void ask(QmpClient qmp, StringBuilder s, String command, Map<String, ?> args) {
    s.append("\n  ").append(command).append(args.isEmpty() ? "" : " " + args).append(": ");
    try {
      s.append(qmp.execute(command, args));
    } catch (IOException | RuntimeException e) {
      s.append("failed: ").append(e.getMessage());
    }
  }

  private static void hmp(QmpClient qmp, StringBuilder s, String command) {
    s.append("\n  ").append(command).append(":\n    ");
    try {
      String text =
          qmp.execute("human-monitor-command", Map.of("command-line", command)).asString("");
      s.append(text.strip().replace("\n", "\n    "));
    } catch (IOException | RuntimeException e) {
      s.append("failed: ").append(e.getMessage());
    }
  }
}
