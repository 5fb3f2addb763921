package dev.thaw.node.protocol;

import dev.thaw.node.snapshot.ColdStart;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the instance that served an invocation was started, when that invocation started it.
 *
 * @param source where it came from: a local or remote snapshot, or none (a boot)
 * @param fetch time until the snapshot's files were complete (zero unless remote)
 * @param startup time to restore or boot, until the guest answered
 * @param fallback why a snapshot path was abandoned for a boot, or empty
 */
public record ColdStartReport(
    ColdStart.Source source, Duration fetch, Duration startup, Optional<String> fallback) {
  public ColdStartReport {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(fetch, "fetch");
    Objects.requireNonNull(startup, "startup");
    Objects.requireNonNull(fallback, "fallback");
  }

  public static ColdStartReport of(ColdStart c) {
    return new ColdStartReport(c.source(), c.fetch(), c.startup(), c.fallback());
  }
}
