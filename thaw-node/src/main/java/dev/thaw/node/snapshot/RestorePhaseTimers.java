package dev.thaw.node.snapshot;

import dev.thaw.core.vmm.RestorePhases;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Consumer;

/**
 * Where each restore's time went, as timers {@code thaw.vmm.restore} tagged by {@code phase}
 * ({@code start}: until the VMM was ready for the snapshot; {@code load}: the device state; {@code
 * resume}; {@code answer}: until the guest answered) and {@code pooled} (whether the VMM process
 * was started ahead): what a VMM driver tells its restore listener.
 */
public final class RestorePhaseTimers implements Consumer<RestorePhases> {
  private final MeterRegistry meters;

  public RestorePhaseTimers(MeterRegistry meters) {
    this.meters = meters;
  }

  @Override
  public void accept(RestorePhases p) {
    String pooled = Boolean.toString(p.pooled());
    timer("start", pooled).record(p.start());
    timer("load", pooled).record(p.load());
    timer("resume", pooled).record(p.resume());
    timer("answer", pooled).record(p.answer());
  }

  private Timer timer(String phase, String pooled) {
    return meters.timer("thaw.vmm.restore", "phase", phase, "pooled", pooled);
  }
}
