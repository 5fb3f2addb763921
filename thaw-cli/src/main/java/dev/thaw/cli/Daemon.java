package dev.thaw.cli;

import java.util.concurrent.CountDownLatch;

/** Runs a long-lived command until the JVM is asked to stop (Ctrl-C, SIGTERM). */
final class Daemon {
  private Daemon() {}

  /** Blocks until shutdown; {@code onStop} runs once, in the shutdown hook. */
  static void runUntilShutdown(String name, Runnable onStop) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    onStop.run();
                  } finally {
                    stopped.countDown();
                  }
                },
                name + "-shutdown"));
    stopped.await();
  }
}
