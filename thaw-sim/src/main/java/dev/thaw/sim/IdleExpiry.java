package dev.thaw.sim;

/**
 * When idle instances stop, with at most one pending expiry event per instance: an instance idle
 * again before its pending event fires keeps that event if it comes first, and the event, firing
 * before the instance's latest deadline, is re-armed for it instead of one event per idle period.
 * Decisions only, on the instances' arrays; the simulator schedules and stops.
 */
final class IdleExpiry {
  /** What an expiry event means when it fires. */
  enum Fired {
    /** Nothing: the slot was reused, the instance is busy, or another event is pending. */
    STALE,
    /** The instance's keep-alive has passed: stop it. */
    STOP,
    /** The instance was idle again since: schedule its event at {@link #deadline}. */
    REARM
  }

  private final Instances in;

  IdleExpiry(Instances instances) {
    this.in = instances;
  }

  /**
   * Instance {@code i}, idle now, is kept until {@code expireAt}.
   *
   * @return whether an expiry event must be scheduled at {@code expireAt} (none pending before it)
   */
  boolean keep(int i, long expireAt) {
    in.expireAt[i] = expireAt;
    if (!in.expiryPending[i] || expireAt < in.pendingAt[i]) {
      in.expiryPending[i] = true;
      in.pendingAt[i] = expireAt;
      return true;
    }
    return false;
  }

  /** An expiry event of instance {@code i}'s generation {@code gen} fires at {@code now}. */
  Fired fired(int i, int gen, long now) {
    if (in.gen[i] != gen || in.state[i] == Instances.FREE) {
      return Fired.STALE;
    }
    if (in.pendingAt[i] == now) {
      in.expiryPending[i] = false;
    }
    if (in.state[i] != Instances.IDLE) {
      return Fired.STALE; // busy again: its next idle period schedules its own expiry
    }
    if (now >= in.expireAt[i]) {
      return Fired.STOP;
    }
    if (!in.expiryPending[i]) {
      in.expiryPending[i] = true;
      in.pendingAt[i] = in.expireAt[i];
      return Fired.REARM;
    }
    return Fired.STALE;
  }

  /** When instance {@code i}'s keep-alive ends. */
  long deadline(int i) {
    return in.expireAt[i];
  }
}
