package dev.thaw.node.snapshot;

import dev.thaw.core.vmm.MicroVm;
import dev.thaw.core.vmm.VmSnapshot;
import dev.thaw.core.vmm.VmState;
import java.net.URI;
import java.nio.file.Path;

/** A VM that releases what it reads from (a served memory file's source) when it is closed. */
public record ClosingVm(MicroVm vm, Runnable afterClose) implements MicroVm {
  @Override
  public String id() {
    return vm.id();
  }

  @Override
  public VmState state() {
    return vm.state();
  }

  @Override
  public URI endpoint() {
    return vm.endpoint();
  }

  @Override
  public void pause() {
    vm.pause();
  }

  @Override
  public void resume() {
    vm.resume();
  }

  @Override
  public VmSnapshot snapshot(Path dir) {
    return vm.snapshot(dir);
  }

  @Override
  public String consoleTail() {
    return vm.consoleTail();
  }

  @Override
  public void close() {
    try {
      vm.close();
    } finally {
      afterClose.run();
    }
  }
}
