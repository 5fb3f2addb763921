package dev.thaw.core.placement;

import java.util.List;
import java.util.Objects;

/**
 * What {@link ExpectedStart} knows of one healthy node for one revision.
 *
 * @param node its name
 * @param room whether a new instance may start there now (below its capacity)
 * @param idle its idle instances of the revision
 * @param busyMs how long each of its busy instances of the revision has been serving
 * @param clonesMs how long each clone of the revision it is making has been in the making
 * @param waiting invocations already waiting there for one of those (each will take one)
 * @param cached whether its cache holds the revision's snapshot
 * @param remote whether it can restore the revision's snapshot from remote storage
 * @param medians what it measured of the revision
 */
public record NodeTimes(
    String node,
    boolean room,
    int idle,
    List<Long> busyMs,
    List<Long> clonesMs,
    int waiting,
    boolean cached,
    boolean remote,
    StartMedians medians) {
  public NodeTimes {
    Objects.requireNonNull(node, "node");
    busyMs = List.copyOf(busyMs);
    clonesMs = List.copyOf(clonesMs);
    Objects.requireNonNull(medians, "medians");
    if (idle < 0 || waiting < 0) {
      throw new IllegalArgumentException("counts cannot be negative");
    }
  }

  /** A node with nothing of the revision running or being made. */
  public static NodeTimes empty(String node, boolean room, boolean cached, boolean remote) {
    return new NodeTimes(node, room, 0, List.of(), List.of(), 0, cached, remote, StartMedians.NONE);
  }
}
