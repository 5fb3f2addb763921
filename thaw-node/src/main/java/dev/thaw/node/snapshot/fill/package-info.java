/**
 * Filling a snapshot's files from chunks: {@link dev.thaw.node.snapshot.fill.ChunkAssembler} writes
 * whole files before a restore, {@link dev.thaw.node.snapshot.fill.LazyFill} fills a memory file
 * behind a running guest (a queue in the order the guest needs pages, workers, chunk sources that
 * copy from the cache or download from storage, and the working-set preload). It uses only the
 * {@code cache} room (the chunks entries already hold).
 */
package dev.thaw.node.snapshot.fill;
