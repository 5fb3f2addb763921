package dev.thaw.qemu;

import dev.thaw.core.function.FunctionImage;
import dev.thaw.core.function.FunctionSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** QEMU's arguments for one microVM of {@link QemuVmm}: a boot, or a restore waiting for state. */
final class QemuCommandLine {
  /** A VM's writable layer in its work directory (a function from an image). */
  static final String LAYER = "disk.qcow2";

  /** The function's description for the guest, in its work directory. */
  static final String DESCRIPTION = "function.cfg";

  /** The boot's control key file in the VM's work directory (mode 0600). */
  static final String CONTROL_KEY = "control.key";

  private final GuestImage image;
  private final String accelerator;

  QemuCommandLine(GuestImage image, String accelerator) {
    this.image = image;
    this.accelerator = accelerator;
  }

  /**
   * QEMU's arguments. A boot adds the guest kernel, initramfs and command line; a restore leaves
   * them out (the running kernel and its root filesystem are in the snapshot's memory, and QEMU
   * reading the 10 MiB image for firmware that never runs cost ~10 ms of every restore) and waits
   * paused for the state.
   */
  List<String> of(
      FunctionSpec function,
      Path workDir,
      Path memory,
      Ports ports,
      boolean boot,
      Path snapshotDisk,
      VmChannels channels) {
    List<Path> paths = new ArrayList<>(List.of(workDir, memory, image.kernel()));
    paths.add(image.initrd());
    if (function.fromImage()) {
      paths.add(function.image().rootfs());
    }
    if (snapshotDisk != null) {
      paths.add(snapshotDisk);
    }
    for (Path p : paths) {
      if (p.toString().contains(",")) {
        throw new IllegalArgumentException("QEMU option values cannot hold ',': " + p);
      }
    }
    String mem = function.memoryMib() + "M";
    List<String> args =
        new ArrayList<>(
            List.of(
                "-name",
                "thaw-" + workDir.getFileName(),
                "-M",
                "microvm,memory-backend=mem",
                "-accel",
                accelerator,
                // A baseline CPU model: "max" exposes features (5-level paging among them) whose
                // TCG emulation is the least exercised, and the guest gains nothing from them.
                "-cpu",
                "qemu64",
                "-smp",
                Integer.toString(function.vcpus()),
                "-m",
                mem,
                "-nodefaults",
                "-no-user-config",
                "-no-reboot",
                "-display",
                "none",
                "-object",
                "memory-backend-file,id=mem,size="
                    + mem
                    + ",mem-path="
                    + memory
                    + ",share="
                    + (boot ? "on" : "off"),
                "-serial",
                "file:" + ConsoleLog.in(workDir).file(),
                "-netdev",
                network(function, ports, channels.egress().map(EgressProxy::guestForward)),
                "-device",
                "virtio-net-device,netdev=n0"));
    if (function.fromImage()) {
      args.addAll(disks(function.image(), workDir, snapshotDisk));
    }
    args.addAll(channels.outputArgs());
    if (boot) {
      args.addAll(
          List.of(
              "-kernel",
              image.kernel().toString(),
              "-initrd",
              image.initrd().toString(),
              "-append",
              // init_on_free=1: freed pages are zeroed, so they are holes in a snapshot and never
              // stored or sent (a hello guest: 58 MiB of 256 MiB non-zero instead of 86 MiB).
              // nokaslr: every boot lays the kernel out alike, so snapshots of different functions
              // share their kernel's pages chunk for chunk. Clones of one snapshot share one layout
              // anyway, so randomisation bought little here.
              "console=ttyS0 quiet panic=-1 init_on_free=1 nokaslr norandmaps randomize_kstack_offset=off"
                  + (image.tscKhz() > 0 ? " tsc_early_khz=" + image.tscKhz() : "")
                  + " thaw.fn="
                  + function.handler()
                  + " thaw.init_mib="
                  + function.initMib()));
      if (function.fromImage()) {
        args.addAll(List.of("-fw_cfg", "name=opt/thaw/fn,file=" + workDir.resolve(DESCRIPTION)));
      }
      // The guest's control key: a file only this user reads, never on a command line (ps).
      args.addAll(List.of("-fw_cfg", "name=opt/thaw/key,file=" + workDir.resolve(CONTROL_KEY)));
    } else {
      args.addAll(List.of("-incoming", "defer", "-S"));
    }
    return args;
  }

  /**
   * QEMU's arguments for a VM of the pool ({@link PooledQemu}): a built-in function's machine and
   * devices, but waiting in {@code --preconfig} with no memory and no network yet, which {@link
   * PooledQemu#network} and {@link PooledQemu#machine} add for the restore that takes it.
   */
  List<String> pooled(int vcpus, Path workDir) {
    if (workDir.toString().contains(",")) {
      throw new IllegalArgumentException("QEMU option values cannot hold ',': " + workDir);
    }
    return List.of(
        "-name",
        "thaw-" + workDir.getFileName(),
        "-M",
        "microvm",
        "-accel",
        accelerator,
        "-cpu",
        "qemu64",
        "-smp",
        Integer.toString(vcpus),
        "-nodefaults",
        "-no-user-config",
        "-no-reboot",
        "-display",
        "none",
        "-serial",
        "file:" + ConsoleLog.in(workDir).file(),
        "-device",
        "virtio-net-device,netdev=n0",
        "-incoming",
        "defer",
        "-S",
        "--preconfig");
  }

  /**
   * The disks of a function from an image, in the same order for a boot and its restores (the
   * device state in a snapshot is matched to devices by position): the root filesystem, raw and
   * read-only, then the writable layer in this VM's work directory; for a restore, over the
   * snapshot's layer, opened read-only. The guest tells them apart by serial.
   */
  private static List<String> disks(FunctionImage fn, Path workDir, Path snapshotDisk) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "-blockdev",
            "driver=file,node-name=rootfile,read-only=on,filename=" + fn.rootfs().toAbsolutePath(),
            "-blockdev",
            "driver=raw,node-name=root,read-only=on,file=rootfile",
            "-device",
            "virtio-blk-device,drive=root,serial=thaw-root"));
    String backing = "";
    if (snapshotDisk != null) {
      args.addAll(
          List.of(
              "-blockdev",
              "driver=file,node-name=basefile,read-only=on,filename=" + snapshotDisk,
              "-blockdev",
              "driver=qcow2,node-name=base,read-only=on,file=basefile"));
      backing = ",backing=base";
    }
    args.addAll(
        List.of(
            "-blockdev",
            "driver=file,node-name=layerfile,filename=" + workDir.resolve(LAYER).toAbsolutePath(),
            "-blockdev",
            "driver=qcow2,node-name=layer,file=layerfile" + backing,
            "-device",
            "virtio-blk-device,drive=layer,serial=thaw-layer"));
    return args;
  }

  /**
   * The VM's network: QEMU's user network, restricted. Unrestricted, it maps the host's loopback to
   * 10.0.2.2 and connects the guest anywhere the host can: to the gateway, the agents, the storage
   * server and every other VM's forwarded ports. Restricted, the guest reaches nothing; the host
   * reaches the guest through the forwards on its own loopback (the control port, and the
   * function's), and a function with egress rules reaches its {@link EgressProxy} through {@code
   * egress}, the proxy's forward.
   */
  static String network(FunctionSpec function, Ports ports, Optional<String> egress) {
    StringBuilder net =
        new StringBuilder("user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:")
            .append(ports.control())
            .append("-:")
            .append(controlPort(function));
    if (function.fromImage()) {
      net.append(",hostfwd=tcp:127.0.0.1:")
          .append(ports.function())
          .append("-:")
          .append(function.image().port());
    }
    egress.ifPresent(forward -> net.append(',').append(forward));
    return net.toString();
  }

  /** The guest port of the control requests ({@code /health}, {@code /_thaw/...}). */
  static int controlPort(FunctionSpec function) {
    return function.fromImage() ? FunctionImage.CONTROL_PORT : 8080;
  }

  /** The host's forwarded ports of one VM: control requests, and the function's own. */
  record Ports(int control, int function) {}
}
