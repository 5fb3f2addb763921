package dev.thaw.core.vmm;

import dev.thaw.core.function.FunctionSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The files of one microVM snapshot as a VMM reads and writes them.
 *
 * <p>The memory file holds guest RAM byte for byte (sparse where the guest never wrote); the state
 * file holds CPU and device state. Restores map the memory file privately, so one file serves any
 * number of concurrent clones and is never modified by them.
 *
 * @param function the function the VM was booted for (its memory size must match the files)
 * @param vmm the VMM that made the snapshot
 * @param memoryFile guest RAM
 * @param stateFile CPU and device state
 */
public record VmSnapshot(FunctionSpec function, VmmIdentity vmm, Path memoryFile, Path stateFile) {
  public VmSnapshot {
    Objects.requireNonNull(function, "function");
    Objects.requireNonNull(vmm, "vmm");
    Objects.requireNonNull(memoryFile, "memoryFile");
    Objects.requireNonNull(stateFile, "stateFile");
  }
}
