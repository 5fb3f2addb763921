package dev.thaw.qemu;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a guest's HTTP endpoint to answer {@code GET /health}. */
final class GuestProbe {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  /** Why a probe gave up. */
  enum Outcome {
    READY,
    TIMED_OUT,
    VMM_EXITED
  }

  private GuestProbe() {}

  /**
   * Polls until the guest answers 200, the VMM dies, or {@code timeout} passes. Until the guest
   * listens, QEMU's user-mode network accepts the connection and then drops it, so each failed
   * attempt returns quickly.
   */
  static Outcome await(URI endpoint, Duration timeout, BooleanSupplier vmmAlive) {
    URI health = endpoint.resolve("/health");
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseMillis = 2;
    while (System.nanoTime() < deadline) {
      if (!vmmAlive.getAsBoolean()) {
        return Outcome.VMM_EXITED;
      }
      // No attempt outlives the deadline: a guest that accepts nothing must cost the timeout only.
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      HttpRequest request =
          HttpRequest.newBuilder(health).timeout(Duration.ofMillis(Math.min(2000, left))).build();
      try {
        if (HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return Outcome.READY;
        }
      } catch (IOException e) {
        // Not listening yet; try again shortly.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Outcome.TIMED_OUT;
      }
      sleep(pauseMillis);
      pauseMillis = Math.min(pauseMillis * 2, 50);
    }
    return Outcome.TIMED_OUT;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
