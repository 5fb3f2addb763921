package dev.thaw.cli;

import dev.thaw.core.trace.AzureTrace;
import dev.thaw.core.trace.TraceFormatException;
import dev.thaw.core.trace.TraceFunction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The functions of an Azure Functions 2019 trace directory (or {@code thaw bench gen-trace}'s
 * output), as {@code --trace} names it: each reason it cannot be read, or holds no function to
 * replay, is a {@link Refusal} that names the option and the directory.
 */
final class TraceDirectory {
  private TraceDirectory() {}

  /** The functions that have both invocation counts and durations. */
  static List<TraceFunction> read(Path trace) throws Refusal {
    List<TraceFunction> all;
    try {
      all = AzureTrace.read(trace);
    } catch (TraceFormatException e) {
      throw refusal(trace, e.getMessage());
    } catch (NoSuchFileException e) {
      throw refusal(trace, e.getReason() != null ? e.getReason() : "no such file: " + e.getFile());
    } catch (IOException | UncheckedIOException e) {
      throw refusal(trace, e.getMessage());
    }
    if (all.isEmpty()) {
      throw refusal(trace, "no function has both invocation counts and durations");
    }
    return all;
  }

  private static Refusal refusal(Path trace, String why) {
    return new Refusal("--trace " + trace + ": " + why);
  }
}
