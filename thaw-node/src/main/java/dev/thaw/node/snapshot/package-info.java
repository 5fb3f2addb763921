/**
 * Cold starts from snapshots on one node: what the rest of the node uses.
 *
 * <p>{@link dev.thaw.node.snapshot.SnapshotNode} assembles a node's snapshot side and {@link
 * dev.thaw.node.snapshot.SnapshotManager} answers each cold start with a {@link
 * dev.thaw.node.snapshot.ColdStart}: from the local cache, from remote storage, or by booting. The
 * decision of where a cold start comes from ({@code ColdStarts}, {@code Fallbacks}) and the restore
 * of a clone under its deadline and hooks ({@code Restorer}, {@code SnapshotHooks}, {@code
 * DeadSnapshots}) live here; the rooms under it hold the parts: {@code cache} (snapshots on this
 * node's disk), {@code fill} (a memory file filled chunk by chunk behind a running guest), {@code
 * restore} (restores from remote storage, eager or lazy) and {@code make} (making a snapshot of a
 * booted function).
 */
package dev.thaw.node.snapshot;
