package dev.thaw.bench.snapshots;

import java.util.List;
import java.util.Objects;

/**
 * The figures of one function of {@code thaw bench snapshots}: its configurations in the order the
 * bench measures them (no snapshot, local snapshot, remote without cache, remote into the cache).
 *
 * @param imageBytes the size of the function's root image; 0 for a function without one
 */
public record FunctionFigures(
    String function, long imageBytes, List<ConfigurationFigures> results) {
  public FunctionFigures {
    Objects.requireNonNull(function, "function");
    if (imageBytes < 0) {
      throw new IllegalArgumentException("negative image size: " + imageBytes);
    }
    results = List.copyOf(results);
  }

  /** A function without a root image. */
  public FunctionFigures(String function, List<ConfigurationFigures> results) {
    this(function, 0, results);
  }

  /** {@code bytes} of the root image as a share of it (0 to 1); NaN for a function without one. */
  public double shareOfImage(long bytes) {
    return imageBytes == 0 ? Double.NaN : (double) bytes / imageBytes;
  }
}
