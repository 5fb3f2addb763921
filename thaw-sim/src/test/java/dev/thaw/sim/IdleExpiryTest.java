package dev.thaw.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdleExpiryTest {
  private final Instances in = new Instances();
  private final IdleExpiry expiry = new IdleExpiry(in);

  private int idle() {
    int i = in.allocate(0, 0);
    in.state[i] = Instances.IDLE;
    return i;
  }

  @Test
  void anInstanceIdleAgainKeepsItsPendingEventWhichIsRearmedForTheLaterDeadline() {
    int i = idle();
    int gen = in.gen[i];
    assertThat(expiry.keep(i, 100)).isTrue();
    // Busy and idle again before 100: kept until 200, no second event.
    assertThat(expiry.keep(i, 200)).isFalse();
    assertThat(expiry.fired(i, gen, 100)).isEqualTo(IdleExpiry.Fired.REARM);
    assertThat(expiry.deadline(i)).isEqualTo(200);
    assertThat(expiry.fired(i, gen, 200)).isEqualTo(IdleExpiry.Fired.STOP);
  }

  @Test
  void anEarlierDeadlineGetsItsOwnEvent() {
    int i = idle();
    assertThat(expiry.keep(i, 300)).isTrue();
    assertThat(expiry.keep(i, 150)).isTrue();
    assertThat(expiry.fired(i, in.gen[i], 150)).isEqualTo(IdleExpiry.Fired.STOP);
  }

  @Test
  void eventsOfABusyInstanceOrOfAReusedSlotAreStale() {
    int i = idle();
    int gen = in.gen[i];
    expiry.keep(i, 100);
    in.state[i] = Instances.BUSY;
    assertThat(expiry.fired(i, gen, 100)).isEqualTo(IdleExpiry.Fired.STALE);

    in.release(i);
    assertThat(expiry.fired(i, gen, 100)).isEqualTo(IdleExpiry.Fired.STALE);
    int reused = in.allocate(0, 0);
    assertThat(reused).isEqualTo(i);
    in.state[i] = Instances.IDLE;
    expiry.keep(i, 500);
    assertThat(expiry.fired(i, gen, 500)).isEqualTo(IdleExpiry.Fired.STALE);
    assertThat(expiry.fired(i, in.gen[i], 500)).isEqualTo(IdleExpiry.Fired.STOP);
  }
}
