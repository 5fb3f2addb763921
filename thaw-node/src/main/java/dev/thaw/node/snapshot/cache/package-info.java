/**
 * Snapshots on this node's disk: the cache directory and its one owner, the committed entries,
 * lookups that serve an entry only as it was verified, the background scrub, and the chunks that
 * entries hold for remote fetches to copy instead of downloading. It uses no other room of the
 * snapshot package.
 */
package dev.thaw.node.snapshot.cache;
