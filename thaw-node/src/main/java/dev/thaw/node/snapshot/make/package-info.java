/**
 * Making a snapshot of a booted function: {@link dev.thaw.node.snapshot.make.SnapshotMaker} asks
 * its hook, saves the VM into an uncommitted cache entry, and commits (and uploads) it only once a
 * clone restored from it has answered; the pages that clone reads while it answers the first
 * request (repeated where HTTP allows) become the working set the manifest records for lazy
 * restores. It uses the {@code cache} room and the restore of a clone from the package above.
 */
package dev.thaw.node.snapshot.make;
