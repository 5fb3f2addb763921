package dev.thaw.qemu;

import java.io.IOException;

/** QEMU exited, or never became ready, before its QMP connection was up. */
final class QemuStartException extends IOException {
  QemuStartException(String message) {
    super(message);
  }
}
