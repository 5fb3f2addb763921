package dev.thaw.core.snapshot;

import java.util.List;

/**
 * What a garbage collection did.
 *
 * @param expiredRevisions revisions deleted for being unused too long
 * @param chunksDeleted chunks no manifest referenced
 * @param chunksKept chunks still referenced
 * @param bytesFreed stored bytes of the deleted chunks
 */
public record GcReport(
    List<String> expiredRevisions, int chunksDeleted, int chunksKept, long bytesFreed) {
  public GcReport {
    expiredRevisions = List.copyOf(expiredRevisions);
  }
}
