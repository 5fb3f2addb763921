package dev.thaw.core.snapshot;

import dev.thaw.core.vmm.RestoreWait;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * How long a restored clone may take to answer before its snapshot is judged dead.
 *
 * <p>A sound snapshot answers in a fraction of a second; a dead one never does, so waiting the boot
 * timeout (minutes) for it only delays the fallback. The deadline is {@code factor ×} the median of
 * the last {@code window} successful restores on this node, clamped to {@code [floor, ceiling]};
 * before the first measurement it is the ceiling. The floor keeps a burst of contention (other VMs
 * booting on the same cores) from condemning a sound snapshot; the ceiling bounds what a dead one
 * costs.
 *
 * <p>The deadline counts the time the clone's VMM could run, not the time it waited for a CPU
 * ({@link RestoreWait}): a machine starved by other work stretches the wait, up to {@code patience}
 * of wall-clock time (default one minute: a boot on such a machine takes longer still), rather than
 * condemning a sound snapshot. Thread-safe.
 */
public final class RestoreDeadline {
  private final double factor;
  private final Duration floor;
  private final Duration ceiling;
  private final Duration patience;
  private final long[] samples;
  private int count;
  private int next;

  private RestoreDeadline(Builder b) {
    if (b.floor.compareTo(b.ceiling) > 0) {
      throw new IllegalArgumentException("floor " + b.floor + " above ceiling " + b.ceiling);
    }
    this.factor = b.factor;
    this.floor = b.floor;
    this.ceiling = b.ceiling;
    this.patience = b.patience;
    this.samples = new long[b.window];
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The deadline for the next restore. */
  public synchronized Duration current() {
    if (count == 0) {
      return ceiling;
    }
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    // Lower median: with an even count, the smaller of the two middle values.
    long median = sorted[(count - 1) / 2];
    Duration scaled = Duration.ofNanos((long) Math.min(Long.MAX_VALUE, median * factor));
    if (scaled.compareTo(floor) < 0) {
      return floor;
    }
    return scaled.compareTo(ceiling) > 0 ? ceiling : scaled;
  }

  /**
   * The wait for the next restore: {@link #current} of running time, within the patience (or the
   * deadline itself, when that is longer).
   */
  public RestoreWait nextWait() {
    Duration running = current();
    return new RestoreWait(running, patience.compareTo(running) < 0 ? running : patience);
  }

  /** Records a restore whose guest answered after {@code took}. */
  public synchronized void restored(Duration took) {
    if (took.isNegative()) {
      throw new IllegalArgumentException("negative restore time " + took);
    }
    samples[next] = took.toNanos();
    next = (next + 1) % samples.length;
    count = Math.min(count + 1, samples.length);
  }

  @Override
  public synchronized String toString() {
    return "RestoreDeadline[" + current() + " from " + count + " restores]";
  }

  /**
   * Builder; defaults: 10 × the median of the last 32 restores, within 5 s .. 10 s. The floor is
   * above the slowest sound restore measured here (4.5 s, three soak cycles and a test run at once
   * on two cores, while the median was 0.8 s).
   */
  public static final class Builder {
    private double factor = 10;
    private Duration floor = Duration.ofSeconds(5);
    private Duration ceiling = Duration.ofSeconds(10);
    private Duration patience = Duration.ofMinutes(1);
    private int window = 32;

    private Builder() {}

    public Builder factor(double factor) {
      if (!(factor >= 1)) {
        throw new IllegalArgumentException("factor must be at least 1: " + factor);
      }
      this.factor = factor;
      return this;
    }

    public Builder floor(Duration floor) {
      if (Objects.requireNonNull(floor).isNegative() || floor.isZero()) {
        throw new IllegalArgumentException("floor must be positive: " + floor);
      }
      this.floor = floor;
      return this;
    }

    public Builder ceiling(Duration ceiling) {
      if (Objects.requireNonNull(ceiling).isNegative() || ceiling.isZero()) {
        throw new IllegalArgumentException("ceiling must be positive: " + ceiling);
      }
      this.ceiling = ceiling;
      return this;
    }

    /** The most wall-clock time a restore starved of CPU is waited for. */
    public Builder patience(Duration patience) {
      if (Objects.requireNonNull(patience).isNegative() || patience.isZero()) {
        throw new IllegalArgumentException("patience must be positive: " + patience);
      }
      this.patience = patience;
      return this;
    }

    /** How many recent restores the median is taken over. */
    public Builder window(int window) {
      if (window < 1) {
        throw new IllegalArgumentException("window must be positive: " + window);
      }
      this.window = window;
      return this;
    }

    public RestoreDeadline build() {
      return new RestoreDeadline(this);
    }
  }
}
