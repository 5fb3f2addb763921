package dev.thaw.node.protocol;

import java.util.Objects;

/**
 * One invocation as the gateway remembers it for {@code GET /functions/NAME/invocations}: when, how
 * its instance was found or started, and where the time went.
 *
 * @param time when the gateway received it, in milliseconds since the epoch
 * @param kind {@code warm}, {@code local} (restored from this node's cache), {@code remote}
 *     (restored from remote storage), {@code boot} (no snapshot), or {@code failed} (no answer)
 * @param status the function's HTTP status; for {@code failed}, the status the caller got
 * @param node the node that served it; "" when none did
 * @param instance the instance that served it; "" when none did
 * @param placementMs the gateway's time to rank the nodes
 * @param fetchMs time until the snapshot's files were complete (zero unless remote)
 * @param startupMs time to restore or boot until the guest answered (zero when warm)
 * @param latencyMs from the agent receiving it to the function's answer
 * @param totalMs from the gateway receiving it to the answer, queueing included
 * @param note why a snapshot path fell back to a boot, or why it failed; "" otherwise
 */
public record InvocationRecord(
    long time,
    String kind,
    int status,
    String node,
    String instance,
    double placementMs,
    long fetchMs,
    long startupMs,
    long latencyMs,
    long totalMs,
    String note) {
  public InvocationRecord {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(note, "note");
  }

  /** The kind of a served invocation: warm, or its cold start's source (a boot for none). */
  public static String kind(Served served) {
    return served
        .coldStart()
        .map(c -> c.source().label().equals("none") ? "boot" : c.source().label())
        .orElse("warm");
  }
}
