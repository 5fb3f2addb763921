package dev.thaw.core.lifecycle;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * How long an idle instance of a function stays warm, decided per function from what its
 * invocations did so far. The agent and the simulator ask the same {@link Tracker}: one per
 * function, fed the idle time before each invocation, answering with two windows measured from the
 * end of an invocation:
 *
 * <ul>
 *   <li>{@link Tracker#prewarmMillis()}: how long to wait before having an instance (0: keep the
 *       one that just ran);
 *   <li>{@link Tracker#keepAliveMillis()}: how long an instance then stays idle before it stops.
 * </ul>
 */
public interface KeepAlivePolicy {

  /** What the policy knows of one function. Not thread-safe: callers hold their own lock. */
  interface Tracker {
    /**
     * An invocation arrived {@code idleMillis} after the function's previous invocation ended (0
     * when one was still running). The first invocation of a function has no idle time: not called.
     */
    void observeIdle(long idleMillis);

    /** Wait from the end of an invocation before an instance is (re)started; 0: none. */
    long prewarmMillis();

    /** How long the instance then stays idle before it stops. */
    long keepAliveMillis();
  }

  /** A tracker for a new function. */
  Tracker tracker();

  /** A short name for tables: {@code fixed 10m}, {@code hybrid}. */
  String label();

  /** Every instance stays idle {@code window} after its last invocation, whatever came before. */
  static KeepAlivePolicy fixed(Duration window) {
    long millis = positive(window).toMillis();
    Tracker t =
        new Tracker() {
          @Override
          public void observeIdle(long idleMillis) {}

          @Override
          public long prewarmMillis() {
            return 0;
          }

          @Override
          public long keepAliveMillis() {
            return millis;
          }
        };
    String label = "fixed " + human(window);
    return new KeepAlivePolicy() {
      @Override
      public Tracker tracker() {
        return t;
      }

      @Override
      public String label() {
        return label;
      }
    };
  }

  /**
   * The hybrid histogram policy of "Serverless in the Wild" (ATC '20), falling back to {@code
   * fixed(fallback)} while a function's histogram is not representative. See {@link
   * HybridHistogramPolicy}.
   */
  static KeepAlivePolicy hybrid(Duration fallback) {
    return new HybridHistogramPolicy(positive(fallback).toMillis());
  }

  /**
   * {@code fixed} or {@code hybrid}, with {@code window} as the fixed window (and the hybrid
   * policy's fallback).
   *
   * @throws IllegalArgumentException naming the policies there are
   */
  static KeepAlivePolicy named(String name, Duration window) {
    return switch (name == null ? "" : name.trim().toLowerCase(Locale.ROOT)) {
      case "fixed" -> fixed(window);
      case "hybrid" -> hybrid(window);
      default ->
          throw new IllegalArgumentException(
              "keep-alive policy must be fixed or hybrid: '" + name + "'");
    };
  }

  private static Duration positive(Duration window) {
    Objects.requireNonNull(window, "window");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("keep-alive window must be positive: " + window);
    }
    return window;
  }

  private static String human(Duration d) {
    long s = d.toSeconds();
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return d.toMillis() % 1000 == 0 ? s + "s" : d.toMillis() + "ms";
  }
}
