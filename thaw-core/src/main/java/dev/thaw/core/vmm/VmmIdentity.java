package dev.thaw.core.vmm;

import java.util.Objects;

/**
 * Which VMM made a snapshot, and under what conditions it can be restored.
 *
 * @param kind the VMM family, e.g. {@code qemu} or {@code firecracker}
 * @param version the VMM's version, e.g. {@code 7.2.19}
 * @param accelerator {@code tcg} or {@code kvm}: snapshots do not cross accelerators
 * @param machine the machine type, e.g. {@code microvm}
 */
public record VmmIdentity(String kind, String version, String accelerator, String machine) {
  public VmmIdentity {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(accelerator, "accelerator");
    Objects.requireNonNull(machine, "machine");
  }

  /**
   * Whether a VMM with this identity can restore a snapshot made by {@code maker}: same kind,
   * accelerator and machine, and the same release line (major.minor) — device state formats change
   * between release lines, not within one.
   */
  public boolean canRestore(VmmIdentity maker) {
    return kind.equals(maker.kind)
        && accelerator.equals(maker.accelerator)
        && machine.equals(maker.machine)
        && releaseLine(version).equals(releaseLine(maker.version));
  }

  /** The release line (major.minor) of this VMM's version; snapshots do not cross them. */
  public String releaseLine() {
    return releaseLine(version);
  }

  static String releaseLine(String version) {
    String[] parts = version.split("\\.");
    return parts.length >= 2 ? parts[0] + "." + parts[1] : version;
  }

  @Override
  public String toString() {
    return kind + " " + version + " (" + accelerator + ", " + machine + ")";
  }
}
