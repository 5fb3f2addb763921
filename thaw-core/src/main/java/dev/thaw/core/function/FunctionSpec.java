package dev.thaw.core.function;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a function needs from a microVM.
 *
 * @param id stable name, lower-case letters, digits and dashes (it becomes part of file names)
 * @param memoryMib guest memory in MiB
 * @param vcpus virtual CPUs
 * @param handler the guest handler that serves invocations (see {@code guest/thaw-guest.c})
 * @param initMib MiB of state the handler computes at start and keeps in memory; 0 for none
 */
public record FunctionSpec(String id, int memoryMib, int vcpus, String handler, int initMib) {
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Pattern HANDLER = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  public FunctionSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(handler, "handler");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("function id must match " + ID + ": '" + id + "'");
    }
    if (!HANDLER.matcher(handler).matches()) {
      throw new IllegalArgumentException("handler must match " + HANDLER + ": '" + handler + "'");
    }
    if (memoryMib < 64 || memoryMib > 64 * 1024) {
      throw new IllegalArgumentException("memoryMib must be within 64..65536: " + memoryMib);
    }
    if (vcpus < 1 || vcpus > 64) {
      throw new IllegalArgumentException("vcpus must be within 1..64: " + vcpus);
    }
    if (initMib < 0 || initMib > memoryMib / 2) {
      throw new IllegalArgumentException(
          "initMib must be within 0..memoryMib/2 (" + memoryMib / 2 + "): " + initMib);
    }
  }

  /** Guest memory in bytes. */
  public long memoryBytes() {
    return (long) memoryMib << 20;
  }
}
