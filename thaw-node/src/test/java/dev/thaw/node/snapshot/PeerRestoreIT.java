package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.CachedChunks;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.peer.PeerServer;
import dev.thaw.node.peer.PeerTokens;
import dev.thaw.node.peer.StaticPeerDirectory;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.fill.PeerHttp;
import dev.thaw.node.snapshot.fill.PeerReads;
import dev.thaw.node.snapshot.make.Snapshotted;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes, real QEMU, a real S3 server over HTTP and node A's real peer edge: A boots a function,
 * snapshots it, uploads and caches it; B restores it remotely and lazily with the S3 server stopped
 * as soon as B has read the manifest, so every chunk B's guest needs comes from A. A's peer edge
 * refuses a reader without the peer token.
 */
class PeerRestoreIT {
  private static final String REVISION = "hello-peers";

  @TempDir Path dir;
  private final InMemoryCacheAdvertiser ads = new InMemoryCacheAdvertiser();
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));
  private final HttpClient http = PeerHttp.client();

  @Test
  void aNodeRestoresFromItsPeerWithStorageStoppedAfterTheManifest() throws Exception {
    EmbeddedS3Server s3 = EmbeddedS3Server.start(dir.resolve("s3"));
    AtomicBoolean manifestRead = new AtomicBoolean();
    // B's storage: the real S3 server, stopped once B has read the manifest.
    FaultyObjectStore objects =
        new FaultyObjectStore(
            S3ObjectStore.builder()
                .endpoint(s3.endpoint())
                .credentials(s3.credentials())
                .bucket("snapshots")
                .build()
                .ensureBucket());
    BearerToken peerToken = BearerToken.generate();
    try (RemoteSnapshotStore store = RemoteSnapshotStore.builder(objects).build();
        FuseFileServer files = FuseFileServer.mount(dir.resolve("served"), 0);
        Node a = new Node(dir, "a", SnapshotMode.REMOTE, store, true, ads, b -> b.files(files));
        PeerServer edge =
            PeerServer.builder("a", PeerTokens.of(peerToken), new CachedChunks(a.cache, a.meters))
                .address("127.0.0.1:0")
                .start()) {
      ColdStart first = a.manager.start(BuiltinFunctions.HELLO, Revision.of(REVISION));
      assertThat(first.source()).isEqualTo(ColdStart.Source.NONE);
      String answer = client.get(first.vm().endpoint(), "/").body();
      Snapshotted made =
          a.manager
              .snapshotAfterFirstInvocation(
                  first.vm(),
                  BuiltinFunctions.HELLO,
                  Revision.of(REVISION),
                  Optional.of(FunctionRequest.get("/")))
              .get();
      made.verifiedClone().ifPresent(MicroVm::close);
      SnapshotManifest m = made.manifest().orElseThrow();
      assertThat(a.cache.revisions()).containsExactly(REVISION);

      // No peer token, no chunk.
      String chunk = m.chunks().keySet().iterator().next();
      HttpResponse<String> anonymous =
          http.send(
              HttpRequest.newBuilder(edge.uri().resolve("/peer/chunks/" + chunk)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");

      objects.afterManifest(
          REVISION,
          () -> {
            manifestRead.set(true);
            s3.close();
          });
      StaticPeerDirectory directory =
          new StaticPeerDirectory(List.of(new PeerEndpoint("a", edge.uri())), peerToken, http);
      directory.refreshStale().join(); // B has heard from A before it restores
      PeerReads peers = PeerReads.builder(directory, peerToken).http(http).build();
      try (Node b =
          new Node(
              dir, "b", SnapshotMode.REMOTE, store, true, ads, c -> c.files(files).peers(peers))) {
        ColdStart remote = b.manager.start(BuiltinFunctions.HELLO, Revision.of(REVISION));
        try (MicroVm vm = remote.vm()) {
          assertThat(remote.source()).isEqualTo(ColdStart.Source.REMOTE);
          assertThat(manifestRead).isTrue();
          assertThat(client.get(vm.endpoint(), "/").body()).isEqualTo(answer);
          remote.firstAnswered();
        }
        b.manager.awaitBackgroundFetches();
        assertThat(b.manager.peerChunks()).isPositive();
        assertThat(b.meters.counter("thaw.snapshot.peer.chunks").count()).isPositive();
        assertThat(b.meters.counter("thaw.snapshot.storage.chunks").count()).isZero();
        try (CachedSnapshot entry = b.cache.acquire(REVISION).orElseThrow()) {
          SnapshotManifestCodec.verifyFiles(entry.manifest(), entry.dir());
        }
      }
    } finally {
      s3.close();
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("served"))).isFalse();
  }
}
