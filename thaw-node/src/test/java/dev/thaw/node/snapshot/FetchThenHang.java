package dev.thaw.node.snapshot;

import dev.thaw.core.cache.CacheAdvertiser;
import dev.thaw.core.cache.CacheIndex;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.cache.LocalSnapshotCache;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.s3.S3ObjectStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.file.Path;

/**
 * A child process for the kill test: fetches a revision into a cache the way the manager does,
 * announces it, and waits before committing, to be killed there.
 *
 * <p>Arguments: cache dir, S3 endpoint, bucket, revision. Credentials come from the SDK's default
 * chain (the parent passes them in the environment).
 */
public final class FetchThenHang {
  private FetchThenHang() {}

  public static void main(String[] args) throws Exception {
    try (RemoteSnapshotStore store =
        RemoteSnapshotStore.builder(
                S3ObjectStore.builder().endpoint(URI.create(args[1])).bucket(args[2]).build())
            .build()) {
      // The snapshot as the test's nodes store it: under their variant's name.
      SnapshotManifest m =
          SnapshotManifestCodec.parse(Node.view(store).manifest(args[3]).orElseThrow());
      LocalSnapshotCache cache =
          LocalSnapshotCache.open(
              Path.of(args[0]),
              CacheIndex.builder().build(),
              CacheAdvertiser.none(),
              m.vmm(),
              new SimpleMeterRegistry());
      LocalSnapshotCache.Writer w = cache.begin(args[3], m.totalBytes()).orElseThrow();
      ChunkAssembler.allocate(m, w.dir());
      try (ChunkAssembler assembler = new ChunkAssembler(store, 4)) {
        assembler.assemble(m, w.dir(), LocalChunks.none());
      }
      System.out.println("fetched " + m.revision());
      Thread.sleep(600_000);
    }
  }
}
