package dev.thaw.node.snapshot;

import dev.thaw.core.vmm.MicroVm;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A started instance and how it was started: restored from the local cache, restored from remote
 * storage, or booted (with the reason a snapshot path was abandoned, if one was). The caller owns
 * {@link #vm()}.
 */
public sealed interface ColdStart permits ColdStart.Local, ColdStart.Remote, ColdStart.Booted {

  /** The running VM. */
  MicroVm vm();

  /** Time to restore or boot, until the guest answered. */
  Duration startup();

  /** Where the instance came from, as metrics, headers and reports name it. */
  Source source();

  /** Time until the snapshot's files were complete: zero unless fetched from remote storage. */
  default Duration fetch() {
    return Duration.ZERO;
  }

  /**
   * Tells the start that the instance has answered its first invocation (or failed it): a lazy
   * restore holds the rest of its snapshot back until then, so that the fetch does not take the
   * cores from that answer. Does nothing for other starts; calling it again does nothing.
   */
  default void firstAnswered() {}

  /** Why a snapshot path was abandoned for a boot; empty unless this is such a boot. */
  default Optional<String> fallback() {
    return Optional.empty();
  }

  /** Restored from a snapshot in this node's cache. */
  record Local(MicroVm vm, Duration startup) implements ColdStart {
    public Local {
      Objects.requireNonNull(vm, "vm");
      Objects.requireNonNull(startup, "startup");
    }

    @Override
    public Source source() {
      return Source.LOCAL;
    }
  }

  /**
   * Restored from a snapshot in remote storage.
   *
   * @param fetch time until its files were complete (a lazy restore: until the guest could resume);
   *     zero when another cold start fetched them
   * @param onFirstAnswer what {@link #firstAnswered()} runs
   */
  record Remote(MicroVm vm, Duration fetch, Duration startup, Runnable onFirstAnswer)
      implements ColdStart {
    public Remote {
      Objects.requireNonNull(vm, "vm");
      Objects.requireNonNull(fetch, "fetch");
      Objects.requireNonNull(startup, "startup");
      Objects.requireNonNull(onFirstAnswer, "onFirstAnswer");
    }

    /** A restore with nothing held back. */
    public Remote(MicroVm vm, Duration fetch, Duration startup) {
      this(vm, fetch, startup, () -> {});
    }

    @Override
    public void firstAnswered() {
      onFirstAnswer.run();
    }

    @Override
    public Source source() {
      return Source.REMOTE;
    }
  }

  /**
   * Booted from the guest image.
   *
   * @param fallback why a snapshot path was abandoned; empty when there was none to take (snapshots
   *     disabled, or none made yet)
   */
  record Booted(MicroVm vm, Duration startup, Optional<String> fallback) implements ColdStart {
    public Booted {
      Objects.requireNonNull(vm, "vm");
      Objects.requireNonNull(startup, "startup");
      Objects.requireNonNull(fallback, "fallback");
    }

    @Override
    public Source source() {
      return Source.NONE;
    }
  }

  /** Where a cold start's VM came from. */
  enum Source {
    /** Restored from a snapshot in this node's cache. */
    LOCAL,
    /** Restored from a snapshot fetched from remote storage. */
    REMOTE,
    /**
     * Booted from the guest image: no snapshot was used (the name is on the wire and in reports).
     */
    NONE;

    /** The lower-case name used on the wire and in reports: local, remote, none. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
