package dev.thaw.node.snapshot;

import dev.thaw.core.vmm.RestorePhases;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each restore's time went, as timers {@code thaw.vmm.restore} tagged by {@code phase}
 * ({@code start}: until the VMM was ready for the snapshot; {@code load}: the device state; {@code
 * resume}; {@code answer}: until the guest answered), {@code pooled} (whether the VMM process was
 * started ahead) and {@code staged} (whether the VM was made and its state loaded ahead, for this
 * snapshot): what a VMM driver tells its restore listener. Each restore's phases are also logged,
 * one line at INFO, so that one slow cold start can be told from the rest.
 */
public final class RestorePhaseTimers implements Consumer<RestorePhases> {
  private static final Logger log = LoggerFactory.getLogger(RestorePhaseTimers.class);
  private final MeterRegistry meters;

  public RestorePhaseTimers(MeterRegistry meters) {
    this.meters = meters;
  }

  @Override
  public void accept(RestorePhases p) {
    String pooled = Boolean.toString(p.pooled());
    String staged = Boolean.toString(p.staged());
    timer("start", pooled, staged).record(p.start());
    timer("load", pooled, staged).record(p.load());
    timer("resume", pooled, staged).record(p.resume());
    timer("answer", pooled, staged).record(p.answer());
    log.info(
        "restore phases (ms): start {}, load {}, resume {}, first answer {}, total {}{}",
        p.start().toMillis(),
        p.load().toMillis(),
        p.resume().toMillis(),
        p.answer().toMillis(),
        p.total().toMillis(),
        p.staged() ? " (staged ahead)" : p.pooled() ? " (pooled VMM)" : "");
  }

  private Timer timer(String phase, String pooled, String staged) {
    return meters.timer("thaw.vmm.restore", "phase", phase, "pooled", pooled, "staged", staged);
  }
}
