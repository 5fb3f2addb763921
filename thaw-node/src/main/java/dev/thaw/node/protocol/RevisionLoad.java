package dev.thaw.node.protocol;

import dev.thaw.core.placement.NodeTimes;
import dev.thaw.core.placement.StartMedians;
import java.util.List;
import java.util.Objects;

/**
 * What an agent's {@code GET /health} reports of one revision on its node: what the gateway's
 * expected-time placement ({@link dev.thaw.core.placement.ExpectedStart}) needs. The medians are in
 * milliseconds, null until the node has measured one.
 *
 * @param revision the revision
 * @param idle its idle instances
 * @param busyMs how long each busy instance of it has been serving (or starting)
 * @param clonesMs how long each clone of it being made (snapshot, restore, verify) has been at it
 * @param waiting invocations waiting on this node for one of those clones
 * @param bootMs median boot
 * @param localMs median restore from this node's cache
 * @param remoteMs median restore from remote storage
 * @param cloneMs median making of a clone, from the first answer until the clone serves
 * @param runMs median invocation on a running instance
 */
public record RevisionLoad(
    String revision,
    int idle,
    List<Long> busyMs,
    List<Long> clonesMs,
    int waiting,
    Long bootMs,
    Long localMs,
    Long remoteMs,
    Long cloneMs,
    Long runMs) {
  public RevisionLoad {
    Objects.requireNonNull(revision, "revision");
    busyMs = busyMs == null ? List.of() : List.copyOf(busyMs);
    clonesMs = clonesMs == null ? List.of() : List.copyOf(clonesMs);
  }

  /** The medians as placement reads them. */
  public StartMedians medians() {
    return StartMedians.of(bootMs, localMs, remoteMs, cloneMs, runMs);
  }

  /**
   * This revision on {@code node} as placement sees it {@code agedMs} after the report: every busy
   * instance and clone that much further along.
   */
  public NodeTimes times(String node, boolean room, boolean cached, boolean remote, long agedMs) {
    return new NodeTimes(
        node,
        room,
        idle,
        busyMs.stream().map(t -> t + agedMs).toList(),
        clonesMs.stream().map(t -> t + agedMs).toList(),
        waiting,
        cached,
        remote,
        medians());
  }
}
