package dev.thaw.qemu;

import java.io.IOException;

/** QEMU answered a QMP command with an error object. */
final class QmpException extends IOException {
  private final String errorClass;
  private final String description;

  QmpException(String command, String errorClass, String description) {
    super(command + " failed: " + errorClass + ": " + description);
    this.errorClass = errorClass;
    this.description = description;
  }

  String errorClass() {
    return errorClass;
  }

  String description() {
    return description;
  }
}
