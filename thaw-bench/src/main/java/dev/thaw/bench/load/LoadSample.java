package dev.thaw.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link ClosedLoop} measured: the latency of every answered request, the errors, and how
 * long the load ran (from the start until its last client stopped).
 *
 * @param ms the answered requests' latencies in milliseconds, request sent to answer read
 * @param errors requests that failed or got an unexpected answer
 * @param elapsed how long the load ran
 * @param firstError what the first error was; empty when there was none
 */
public record LoadSample(List<Double> ms, long errors, Duration elapsed, String firstError) {
  public LoadSample {
    ms = List.copyOf(ms);
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(firstError, "firstError");
    if (errors < 0) {
      throw new IllegalArgumentException("errors must not be negative: " + errors);
    }
  }

  /** No sample yet: what {@link #plus} starts from. */
  public static LoadSample empty() {
    return new LoadSample(List.of(), 0, Duration.ZERO, "");
  }

  /** This sample and {@code other} as one, their times added. */
  public LoadSample plus(LoadSample other) {
    List<Double> all = new ArrayList<>(ms);
    all.addAll(other.ms);
    return new LoadSample(
        all,
        errors + other.errors,
        elapsed.plus(other.elapsed),
        firstError.isEmpty() ? other.firstError : firstError);
  }

  /** Answered requests per second. */
  public double throughput() {
    return elapsed.isZero() ? 0 : ms.size() / (elapsed.toNanos() / 1e9);
  }
}
