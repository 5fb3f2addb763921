package dev.thaw.node.snapshot;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.cache.EvictionPolicy;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.vmm.Vmm;
import dev.thaw.node.snapshot.cache.CacheScrubber;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One node's snapshot machinery, assembled in one place for the agent, the benchmarks and the
 * tests: its bounded cache under {@code <data-dir>/cache}, scratch space under {@code
 * <data-dir>/scratch}, the snapshot manager over a VMM, and the scrub of the cache's entries
 * ({@link CacheScrubber}). Closing it stops the scrub, lets snapshots in progress finish, then
 * releases the cache directory.
 */
public final class SnapshotNode implements AutoCloseable {
  private final LocalSnapshotCache cache;
  private final SnapshotManager manager;
  private final MeterRegistry meters;
  private final Optional<CacheScrubber> scrubber;

  private SnapshotNode(
      LocalSnapshotCache cache,
      SnapshotManager manager,
      MeterRegistry meters,
      Optional<CacheScrubber> scrubber) {
    this.cache = cache;
    this.manager = manager;
    this.meters = meters;
    this.scrubber = scrubber;
  }

  /**
   * @param vmm the VMM that boots and restores this node's instances
   * @param guest digests of the guest image {@code vmm} boots, recorded in every manifest
   * @param dataDir the node's own directory (cache and scratch space go under it)
   */
  public static Builder builder(Vmm vmm, SnapshotManifest.Guest guest, Path dataDir) {
    return new Builder(vmm, guest, dataDir);
  }

  public LocalSnapshotCache cache() {
    return cache;
  }

  public SnapshotManager manager() {
    return manager;
  }

  public MeterRegistry meters() {
    return meters;
  }

  @Override
  public void close() throws IOException {
    try {
      scrubber.ifPresent(CacheScrubber::close);
      manager.close();
    } finally {
      cache.close();
    }
  }

  /**
   * Builder: a 4 GiB cache announced nowhere, scrubbed at 64 MiB/s once an hour, its own meters,
   * local snapshot mode by default.
   */
  public static final class Builder {
    private final Vmm vmm;
    private final SnapshotManifest.Guest guest;
    private final Path dataDir;
    private long capacityBytes = 4L << 30;
    private EvictionPolicy eviction = EvictionPolicy.leastRecentlyUsed();
    private CacheAdvertiser advertiser = CacheAdvertiser.none();
    private MeterRegistry meters = new SimpleMeterRegistry();
    private UnaryOperator<SnapshotManager.Builder> manager = b -> b;
    private long scrubRate = CacheScrubber.DEFAULT_RATE;
    private Duration scrubPeriod = CacheScrubber.DEFAULT_PERIOD;

    private Builder(Vmm vmm, SnapshotManifest.Guest guest, Path dataDir) {
      this.vmm = Objects.requireNonNull(vmm, "vmm");
      this.guest = Objects.requireNonNull(guest, "guest");
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    }

    /** Bound of the local snapshot cache. */
    public Builder cacheCapacity(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("cache capacity must be positive: " + bytes);
      }
      this.capacityBytes = bytes;
      return this;
    }

    /** Which snapshot leaves the cache when space is needed; one policy per node. */
    public Builder eviction(EvictionPolicy eviction) {
      this.eviction = Objects.requireNonNull(eviction);
      return this;
    }

    /** Where the cached revisions are announced (placement reads them). */
    public Builder advertiser(CacheAdvertiser advertiser) {
      this.advertiser = Objects.requireNonNull(advertiser);
      return this;
    }

    /**
     * Bound of the background scrub's reads of cached snapshots, in bytes per second; zero turns
     * the scrub off.
     */
    public Builder scrubRate(long bytesPerSecond) {
      if (bytesPerSecond < 0) {
        throw new IllegalArgumentException("scrub rate must not be negative: " + bytesPerSecond);
      }
      this.scrubRate = bytesPerSecond;
      return this;
    }

    /** Pause between two scrub passes over the cache (and before the first). */
    public Builder scrubPeriod(Duration period) {
      if (period.isNegative() || period.isZero()) {
        throw new IllegalArgumentException("scrub period must be positive: " + period);
      }
      this.scrubPeriod = period;
      return this;
    }

    public Builder meters(MeterRegistry meters) {
      this.meters = Objects.requireNonNull(meters);
      return this;
    }

    /**
     * Sets what differs between nodes (mode, remote store, chunk size…) on a manager builder that
     * already has the VMM, cache, guest, scratch space and meters.
     */
    public Builder manager(UnaryOperator<SnapshotManager.Builder> configure) {
      this.manager = Objects.requireNonNull(configure);
      return this;
    }

    /**
     * Opens the cache (recovering what a previous run left) and builds the manager.
     *
     * @throws IOException when the cache directory cannot be opened or another process owns it
     */
    public SnapshotNode build() throws IOException {
      LocalSnapshotCache cache =
          LocalSnapshotCache.open(
              dataDir.resolve("cache"),
              CacheIndex.builder().capacityBytes(capacityBytes).policy(eviction).build(),
              advertiser,
              vmm.identity(),
              meters);
      try {
        SnapshotManager m =
            manager
                .apply(
                    SnapshotManager.builder()
                        .vmm(vmm)
                        .cache(cache)
                        .guest(guest)
                        .scratch(dataDir.resolve("scratch"))
                        .meters(meters))
                .build();
        Optional<CacheScrubber> scrubber =
            scrubRate == 0
                ? Optional.empty()
                : Optional.of(
                    CacheScrubber.builder(cache)
                        .rate(scrubRate)
                        .period(scrubPeriod)
                        .meters(meters)
                        .build()
                        .start());
        return new SnapshotNode(cache, m, meters, scrubber);
      } catch (RuntimeException e) {
        cache.close();
        throw e;
      }
    }
  }
}
