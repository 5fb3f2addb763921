package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.WorkingPages;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.http.BearerToken;
import dev.thaw.node.peer.CachedChunks;
import dev.thaw.node.peer.HeldChunks;
import dev.thaw.node.peer.PeerEndpoint;
import dev.thaw.node.peer.PeerServer;
import dev.thaw.node.peer.PeerTokens;
import dev.thaw.node.peer.StartBundle;
import dev.thaw.node.peer.StaticPeerDirectory;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.fill.ManifestDigest;
import dev.thaw.node.snapshot.fill.PeerHttp;
import dev.thaw.node.snapshot.fill.PeerReads;
import dev.thaw.node.snapshot.make.Snapshotted;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes, real QEMU, a real S3 server over HTTP and node A's real peer edge: A boots a function,
 * snapshots it, uploads and caches it; B restores it remotely and lazily. With an honest A, the
 * start (manifest, working pages, device state) comes from A in one answer, checked against the
 * manifest digest storage keeps, and the S3 server is stopped as soon as B has read that digest, so
 * everything B's guest needs comes from A. A's peer edge refuses a reader without the peer token. A
 * lying A (a forged manifest; forged pages) is refused and B restores from storage.
 */
class PeerRestoreIT {
  private static final String REVISION = "hello-peers";

  @TempDir Path dir;
  private final InMemoryCacheAdvertiser ads = new InMemoryCacheAdvertiser();
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));
  private final HttpClient http = PeerHttp.client();
  private final BearerToken peerToken = BearerToken.generate();

  /** How A's edge changes the start it serves: by default not at all. */
  private final AtomicReference<UnaryOperator<StartBundle>> forge =
      new AtomicReference<>(UnaryOperator.identity());

  /** A's cache as its edge serves it, its starts passed through {@link #forge}. */
  private HeldChunks served(Node a) {
    CachedChunks real = new CachedChunks(a.cache, a.meters);
    return new HeldChunks() {
      @Override
      public Optional<byte[]> read(String sha256) throws IOException {
        return real.read(sha256);
      }

      @Override
      public Optional<StartBundle> start(String revision) throws IOException {
        return real.start(revision).map(forge.get());
      }

      @Override
      public List<String> revisions() {
        return real.revisions();
      }
    };
  }

  /**
   * B's reads from A, each given 30 s: with storage stopped, a peer request that outlasted its
   * deadline on a loaded machine would fail the fill.
   */
  private PeerReads peers(PeerServer edge) {
    StaticPeerDirectory directory =
        new StaticPeerDirectory(List.of(new PeerEndpoint("a", edge.uri())), peerToken, http);
    directory.refreshStale().join(); // B has heard from A before it restores
    return PeerReads.builder(directory, peerToken).http(http).floor(Duration.ofSeconds(30)).build();
  }

  /** A boots hello, answers, snapshots it (uploaded and cached); returns the answer. */
  private String snapshotOnA(Node a) throws Exception {
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
    assertThat(made.manifest()).isPresent();
    assertThat(a.cache.revisions()).containsExactly(REVISION);
    return answer;
  }

  /**
   * Node {@code name} restores hello lazily with A as its peer; its guest answers {@code answer}.
   */
  private Node restoreOn(String name, Peers p, String answer) throws Exception {
    return restoreOn(name, p, answer, Optional.empty());
  }

  /**
   * Like {@link #restoreOn(String, Peers, String)}, the cold start given {@code digest} as the
   * gateway gives it.
   */
  private Node restoreOn(String name, Peers p, String answer, Optional<ManifestDigest> digest)
      throws Exception {
    Node b = node(name, p);
    ColdStart remote = b.manager.start(BuiltinFunctions.HELLO, Revision.of(REVISION), digest);
    try (MicroVm vm = remote.vm()) {
      assertThat(remote.source()).isEqualTo(ColdStart.Source.REMOTE);
      assertThat(client.get(vm.endpoint(), "/").body()).isEqualTo(answer);
      remote.firstAnswered();
    }
    b.manager.awaitBackgroundFetches();
    try (CachedSnapshot entry = b.cache.acquire(REVISION).orElseThrow()) {
      SnapshotManifestCodec.verifyFiles(entry.manifest(), entry.dir());
    }
    return b;
  }

  /** Node {@code name} in remote mode on {@code p}'s storage and file server, A its peer. */
  private Node node(String name, Peers p) throws Exception {
    return new Node(
        dir,
        name,
        SnapshotMode.REMOTE,
        p.store,
        true,
        ads,
        c -> c.files(p.files).peers(peers(p.edge)));
  }

  /** A's manifest of the revision, as it made and uploaded it. */
  private static SnapshotManifest madeOn(Node a) {
    try (CachedSnapshot e = a.cache.acquire(REVISION).orElseThrow()) {
      return e.manifest();
    }
  }

  private static boolean readAny(FaultyObjectStore objects, String suffix) {
    return objects.read.stream().anyMatch(k -> k.contains(REVISION) && k.endsWith(suffix));
  }

  private static S3ObjectStore s3Store(EmbeddedS3Server s3) throws IOException {
    return S3ObjectStore.builder()
        .endpoint(s3.endpoint())
        .credentials(s3.credentials())
        .bucket("snapshots")
        .build()
        .ensureBucket();
  }

  /**
   * What every case starts from: the real S3 server, storage as the nodes see it (through {@link
   * FaultyObjectStore}, which records what is read), the file server, node A and its peer edge;
   * closed in the reverse order.
   */
  private final class Peers implements AutoCloseable {
    final EmbeddedS3Server s3;
    final FaultyObjectStore objects;
    final RemoteSnapshotStore store;
    final FuseFileServer files;
    final Node a;
    final PeerServer edge;
    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    Peers() throws Exception {
      try {
        s3 = open(EmbeddedS3Server.start(dir.resolve("s3")));
        objects = new FaultyObjectStore(s3Store(s3));
        store = open(RemoteSnapshotStore.builder(objects).build());
        files = open(FuseFileServer.mount(dir.resolve("served"), 0));
        a = open(new Node(dir, "a", SnapshotMode.REMOTE, store, true, ads, b -> b.files(files)));
        edge =
            open(
                PeerServer.builder("a", PeerTokens.of(peerToken), served(a))
                    .address("127.0.0.1:0")
                    .start());
      } catch (Exception | Error e) {
        close();
        throw e;
      }
    }

    private <T extends AutoCloseable> T open(T resource) {
      opened.push(resource);
      return resource;
    }

    @Override
    public void close() throws Exception {
      Exception first = null;
      while (!opened.isEmpty()) {
        try {
          opened.pop().close();
        } catch (Exception e) {
          if (first == null) {
            first = e;
          }
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }

  @Test
  void aNodeRestoresFromItsPeerWithStorageStoppedAfterTheManifestDigest() throws Exception {
    AtomicBoolean digestRead = new AtomicBoolean();
    try (Peers p = new Peers()) {
      Node a = p.a;
      PeerServer edge = p.edge;
      FaultyObjectStore objects = p.objects;
      String answer = snapshotOnA(a);

      // No peer token, no chunk and no start.
      SnapshotManifest m =
          a.cache
              .acquire(REVISION)
              .map(
                  e -> {
                    e.close();
                    return e.manifest();
                  })
              .orElseThrow();
      for (String path :
          List.of(
              "/peer/chunks/" + m.chunks().keySet().iterator().next(),
              "/peer/starts/" + REVISION)) {
        HttpResponse<String> anonymous =
            http.send(
                HttpRequest.newBuilder(edge.uri().resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      }

      // B's storage: the real S3 server, stopped once B has read the manifest's digest.
      objects.read.clear();
      objects.afterManifest(
          REVISION,
          () -> {
            digestRead.set(true);
            p.s3.close();
          });
      try (Node b = restoreOn("b", p, answer)) {
        assertThat(digestRead).isTrue();
        assertThat(readAny(objects, "/manifest.json")).as("the manifest came from A").isFalse();
        assertThat(readAny(objects, "/_pages")).as("the pages came from A").isFalse();
        assertThat(b.manager.peerChunks()).isPositive();
        assertThat(b.meters.counter("thaw.snapshot.peer.chunks").count()).isPositive();
        assertThat(b.meters.counter("thaw.snapshot.storage.chunks").count()).isZero();
      }
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("served"))).isFalse();
  }

  @Test
  void givenTheManifestDigestANodeRestoresFromItsPeerWithStorageStoppedBeforehand()
      throws Exception {
    try (Peers p = new Peers()) {
      FaultyObjectStore objects = p.objects;
      String answer = snapshotOnA(p.a);
      ManifestDigest digest = ManifestDigest.of(madeOn(p.a));

      // The digest comes as the gateway hands it over, so storage is not needed before the guest
      // answers: it is stopped before B's cold start.
      p.s3.close();
      objects.read.clear();
      try (Node b = restoreOn("b", p, answer, Optional.of(digest))) {
        assertThat(readAny(objects, "/_manifest.sha256")).as("the digest was given").isFalse();
        assertThat(readAny(objects, "/manifest.json")).as("the manifest came from A").isFalse();
        assertThat(readAny(objects, "/_pages")).as("the pages came from A").isFalse();
        assertThat(b.meters.counter("thaw.snapshot.storage.chunks").count()).isZero();
      }
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("served"))).isFalse();
  }

  @Test
  void aSnapshotMarkedUnusableIsNotHandedOutThoughItsStartCameFromAPeerWithItsDigest()
      throws Exception {
    try (Peers p = new Peers()) {
      String answer = snapshotOnA(p.a);
      SnapshotManifest made = madeOn(p.a);
      // Another node found a clone of it dead; A still holds and serves it.
      Node.view(p.store).markUnusable(REVISION, made.createdAt());
      try (Node b = node("b", p)) {
        ColdStart start =
            b.manager.start(
                BuiltinFunctions.HELLO,
                Revision.of(REVISION),
                Optional.of(ManifestDigest.of(made)));
        try (MicroVm vm = start.vm()) {
          assertThat(start.source()).isEqualTo(ColdStart.Source.NONE);
          assertThat(client.get(vm.endpoint(), "/").body()).isEqualTo(answer);
        }
        b.manager.awaitBackgroundFetches();
        assertThat(b.cache.revisions()).doesNotContain(REVISION);
      }
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("served"))).isFalse();
  }

  @Test
  void aPeersForgedManifestOrForgedPagesAreRefusedAndStorageServesTheRestore() throws Exception {
    try (Peers p = new Peers()) {
      FaultyObjectStore objects = p.objects;
      String answer = snapshotOnA(p.a);

      // A forged manifest: working pages of A's choosing (zeros), their digest to match.
      forge.set(PeerRestoreIT::zeroPagesWithAManifestToMatch);
      objects.read.clear();
      try (Node b = restoreOn("b1", p, answer)) {
        assertThat(readAny(objects, "/manifest.json")).as("storage's manifest").isTrue();
        assertThat(readAny(objects, "/_pages")).as("storage's pages").isTrue();
      }

      // The true manifest with forged pages: the pages come from storage.
      forge.set(PeerRestoreIT::flippedPage);
      objects.read.clear();
      try (Node b = restoreOn("b2", p, answer)) {
        assertThat(readAny(objects, "/manifest.json")).as("A's manifest was right").isFalse();
        assertThat(readAny(objects, "/_pages")).as("storage's pages").isTrue();
      }

      // The forged manifest against the digest the cold start was given (as the gateway gives
      // it): refused as well, and storage's record of the digest is not what decided.
      ManifestDigest digest = ManifestDigest.of(madeOn(p.a));
      forge.set(PeerRestoreIT::zeroPagesWithAManifestToMatch);
      objects.read.clear();
      try (Node b = restoreOn("b3", p, answer, Optional.of(digest))) {
        assertThat(readAny(objects, "/_manifest.sha256")).as("the digest was given").isFalse();
        assertThat(readAny(objects, "/manifest.json")).as("storage's manifest").isTrue();
        assertThat(readAny(objects, "/_pages")).as("storage's pages").isTrue();
      }

      // An honest A, but a digest given that is not its manifest's (a request carrying a wrong
      // one): A's start is refused and storage serves.
      forge.set(UnaryOperator.identity());
      objects.read.clear();
      try (Node b = restoreOn("b4", p, answer, Optional.of(new ManifestDigest("0".repeat(64))))) {
        assertThat(readAny(objects, "/manifest.json")).as("storage's manifest").isTrue();
        assertThat(readAny(objects, "/_pages")).as("storage's pages").isTrue();
      }
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("served"))).isFalse();
  }

  private static StartBundle zeroPagesWithAManifestToMatch(StartBundle honest) {
    SnapshotManifest m =
        SnapshotManifestCodec.parse(new String(honest.manifest(), StandardCharsets.UTF_8));
    SnapshotFile memory = m.file(SnapshotFile.Role.MEMORY).orElseThrow();
    byte[] zeros = new byte[honest.pages().remaining()];
    SnapshotManifest forged =
        m.withWorkingSet(
            memory.chunks().firstTouch(),
            new WorkingPages(
                memory.chunks().pages().runs(), Digests.sha256(zeros, 0, zeros.length)));
    return new StartBundle(
        SnapshotManifestCodec.write(forged).getBytes(StandardCharsets.UTF_8),
        ByteBuffer.wrap(zeros),
        honest.chunks());
  }

  private static StartBundle flippedPage(StartBundle honest) {
    ByteBuffer pages =
        ByteBuffer.allocate(honest.pages().remaining()).put(honest.pages().duplicate());
    pages.put(4096 + 7, (byte) (pages.get(4096 + 7) ^ 0x5a)).flip();
    return new StartBundle(honest.manifest(), pages, honest.chunks());
  }
}
