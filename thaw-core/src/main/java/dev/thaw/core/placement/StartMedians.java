package dev.thaw.core.placement;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * Medians measured on one node for one revision, in milliseconds; empty where nothing has been
 * measured yet ({@link ExpectedStart} then uses the cluster's figure or a prior).
 *
 * @param bootMs a boot, until the guest answered
 * @param localMs a restore from the node's own cache
 * @param remoteMs a restore from remote storage (fetch included)
 * @param cloneMs making a clone after a boot: snapshot, restore, verify, until it serves
 * @param runMs an invocation on a running instance, until it answered
 */
public record StartMedians(
    OptionalLong bootMs,
    OptionalLong localMs,
    OptionalLong remoteMs,
    OptionalLong cloneMs,
    OptionalLong runMs) {
  /** Nothing measured. */
  public static final StartMedians NONE =
      new StartMedians(
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty(),
          OptionalLong.empty());

  public StartMedians {
    Objects.requireNonNull(bootMs, "bootMs");
    Objects.requireNonNull(localMs, "localMs");
    Objects.requireNonNull(remoteMs, "remoteMs");
    Objects.requireNonNull(cloneMs, "cloneMs");
    Objects.requireNonNull(runMs, "runMs");
  }

  /** From figures that may be null (not measured), as a wire format carries them. */
  public static StartMedians of(
      Long bootMs, Long localMs, Long remoteMs, Long cloneMs, Long runMs) {
    return new StartMedians(opt(bootMs), opt(localMs), opt(remoteMs), opt(cloneMs), opt(runMs));
  }

  private static OptionalLong opt(Long ms) {
    return ms == null || ms < 0 ? OptionalLong.empty() : OptionalLong.of(ms);
  }
}
