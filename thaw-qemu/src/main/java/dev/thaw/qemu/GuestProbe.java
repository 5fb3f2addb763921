package dev.thaw.qemu;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for a guest's HTTP endpoint to answer: {@code GET /health} after a boot, {@code GET
 * /_thaw/resume?...} after a restore (see {@link CloneResume}).
 */
final class GuestProbe {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();

  /** Why a probe stopped. */
  enum Outcome {
    /** The guest answered 200. */
    READY,
    /** The guest answered with another status: it listens, and said no. */
    REFUSED,
    TIMED_OUT,
    VMM_EXITED
  }

  /**
   * How a probe ended.
   *
   * @param status the guest's HTTP status, or 0 when it never answered
   * @param body the guest's answer, or "" when it never answered
   */
  record Result(Outcome outcome, int status, String body) {
    static Result of(Outcome outcome) {
      return new Result(outcome, 0, "");
    }
  }

  /** The header of a guest's control key. */
  static final String KEY_HEADER = "X-Thaw-Key";

  private GuestProbe() {}

  /**
   * Polls until the guest answers, the VMM dies, or {@code timeout} passes. Until the guest
   * listens, QEMU's user-mode network accepts the connection and then drops it, so each failed
   * attempt returns quickly. Every attempt asks {@code target} for its path and query, so a query
   * may carry values of the moment it is sent.
   */
  static Result await(
      URI endpoint, Supplier<String> target, Duration timeout, BooleanSupplier vmmAlive) {
    return await(endpoint, target, "", timeout, vmmAlive);
  }

  /** {@link #await}, each request carrying the guest's control key ({@code X-Thaw-Key}). */
  static Result await(
      URI endpoint,
      Supplier<String> target,
      String key,
      Duration timeout,
      BooleanSupplier vmmAlive) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseMillis = 2;
    while (System.nanoTime() < deadline) {
      if (!vmmAlive.getAsBoolean()) {
        return Result.of(Outcome.VMM_EXITED);
      }
      // No attempt outlives the deadline: a guest that accepts nothing must cost the timeout only.
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      try {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(endpoint.resolve(target.get()))
                .timeout(Duration.ofMillis(Math.min(2000, left)));
        if (!key.isEmpty()) {
          b.header(KEY_HEADER, key);
        }
        HttpRequest request = b.build();
        HttpResponse<String> answer = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        return new Result(
            answer.statusCode() == 200 ? Outcome.READY : Outcome.REFUSED,
            answer.statusCode(),
            answer.body());
      } catch (IOException e) {
        // Not listening yet; try again shortly.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Result.of(Outcome.TIMED_OUT);
      }
      sleep(pauseMillis);
      pauseMillis = Math.min(pauseMillis * 2, 50);
    }
    return Result.of(Outcome.TIMED_OUT);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
