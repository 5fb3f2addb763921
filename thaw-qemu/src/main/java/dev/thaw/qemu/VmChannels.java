package dev.thaw.qemu;

import java.util.List;
import java.util.Optional;

/**
 * The host ends of one VM's channels besides QMP, made before its QEMU starts and closed with it:
 * the egress proxy of a function with egress rules, and the outputs of a function from an image.
 */
record VmChannels(Optional<EgressProxy> egress, Optional<FunctionOutput> output)
    implements AutoCloseable {
  static final VmChannels NONE = new VmChannels(Optional.empty(), Optional.empty());

  /** QEMU's options for the output device, empty when there is none. */
  List<String> outputArgs() {
    return output.map(FunctionOutput::qemuArgs).orElse(List.of());
  }

  @Override
  public void close() {
    egress.ifPresent(EgressProxy::close);
    output.ifPresent(FunctionOutput::close);
  }
}
