package dev.thaw.bench.load;

import dev.thaw.core.stats.LatencySummary;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One path's share of a warm load: what its slices measured, added up, and the CPU the whole
 * machine spent meanwhile.
 *
 * @param name the path's name
 * @param sample its slices' requests, errors and time
 * @param busyMillis CPU time the machine spent busy during its slices, summed over cores: the
 *     bench's and anything else the machine ran
 * @param ownMillis CPU time the bench's own processes spent meanwhile, by part ({@link LoadCpu}):
 *     this JVM (the load's clients and the gateway), the agents and their VMs
 * @param cores the machine's cores
 */
public record PathLoad(
    String name, LoadSample sample, long busyMillis, Map<String, Double> ownMillis, int cores) {
  public PathLoad {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sample, "sample");
    ownMillis = Collections.unmodifiableMap(new LinkedHashMap<>(ownMillis));
    if (cores < 1) {
      throw new IllegalArgumentException("cores must be positive: " + cores);
    }
  }

  /** Answered requests per second. */
  public double throughput() {
    return sample.throughput();
  }

  /** The answered requests' latencies. */
  public LatencySummary latency() {
    return LatencySummary.of(sample.ms());
  }

  /** The share of the machine's CPU that was busy, in [0, 1]. */
  public double busyShare() {
    double available = sample.elapsed().toNanos() / 1e6 * cores;
    return available <= 0 ? 0 : Math.min(1, busyMillis / available);
  }

  /**
   * CPU the bench's own processes spent per answered request, in milliseconds: what a request
   * costs, whatever else shares the machine.
   */
  public double cpuMillisPerRequest() {
    return perRequest(ownMillis.values().stream().mapToDouble(x -> x).sum());
  }

  /** CPU one part of the bench's processes spent per answered request, in milliseconds. */
  public double cpuMillisPerRequest(String part) {
    return perRequest(ownMillis.getOrDefault(part, 0.0));
  }

  private double perRequest(double millis) {
    return sample.ms().isEmpty() ? 0 : millis / sample.ms().size();
  }
}
