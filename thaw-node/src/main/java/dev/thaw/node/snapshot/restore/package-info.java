/**
 * Restores from remote storage: {@link dev.thaw.node.snapshot.restore.RemoteRestore} picks an eager
 * restore (fetch everything, then resume) or a lazy one (resume at once while a fill goes on
 * behind), shares one download among concurrent cold starts of a revision, and owns where fetched
 * files land (a cache entry or scratch space). It uses the {@code fill} and {@code cache} rooms and
 * the restore of a clone from the package above.
 */
package dev.thaw.node.snapshot.restore;
