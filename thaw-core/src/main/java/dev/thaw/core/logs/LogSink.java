package dev.thaw.core.logs;

/**
 * Where the lines a function writes go, one call per line, as they come. Called from the threads
 * that read a VM's outputs: an implementation that is slow holds the function back (its writes
 * block), which is the intended back-pressure, so it must never block for good.
 */
@FunctionalInterface
public interface LogSink {
  /** Drops every line: for VMs whose output nobody keeps (benchmarks). */
  LogSink DISCARD = (function, instance, stream, text) -> {};

  /**
   * One line (without its line end) that {@code instance}, a VM of {@code function}, wrote on
   * {@code stream}.
   */
  void line(String function, String instance, LogStream stream, String text);
}
