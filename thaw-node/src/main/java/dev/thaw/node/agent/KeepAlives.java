package dev.thaw.node.agent;

import dev.thaw.core.function.Revision;
import dev.thaw.core.lifecycle.KeepAlivePolicy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The agent's side of the {@link KeepAlivePolicy}: feeds each revision's tracker the idle time
 * before each invocation (time since its last invocation ended, when none was running) and answers
 * how long an idle instance of it may stay. The agent does not pre-warm: an instance stays through
 * the pre-warm window too, so its window is pre-warm plus keep-alive.
 */
final class KeepAlives {
  private final KeepAlivePolicy policy;
  private final LongSupplier ticker;
  private final Map<Revision, State> states = new ConcurrentHashMap<>();
  private final State unknown;

  private static final class State {
    final KeepAlivePolicy.Tracker tracker;
    long lastEndNanos = -1;
    int running;

    State(KeepAlivePolicy.Tracker tracker) {
      this.tracker = tracker;
    }
  }

  KeepAlives(KeepAlivePolicy policy, LongSupplier ticker) {
    this.policy = policy;
    this.ticker = ticker;
    this.unknown = new State(policy.tracker());
  }

  /** An invocation of {@code revision} starts. */
  void started(Revision revision) {
    State s = states.computeIfAbsent(revision, r -> new State(policy.tracker()));
    long now = ticker.getAsLong();
    synchronized (s) {
      if (s.running == 0 && s.lastEndNanos >= 0) {
        s.tracker.observeIdle((now - s.lastEndNanos) / 1_000_000);
      }
      s.running++;
    }
  }

  /** An invocation of {@code revision} ended, answered or not. */
  void ended(Revision revision) {
    State s = states.get(revision);
    if (s == null) {
      return;
    }
    long now = ticker.getAsLong();
    synchronized (s) {
      s.running = Math.max(0, s.running - 1);
      s.lastEndNanos = now;
    }
  }

  /** How long an idle instance of {@code revision} stays, in nanoseconds. */
  long windowNanos(Revision revision) {
    State s = states.getOrDefault(revision, unknown);
    synchronized (s) {
      return (s.tracker.prewarmMillis() + s.tracker.keepAliveMillis()) * 1_000_000;
    }
  }
}
