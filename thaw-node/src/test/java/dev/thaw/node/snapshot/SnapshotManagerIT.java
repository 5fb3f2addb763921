package dev.thaw.node.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.thaw.core.cache.InMemoryCacheAdvertiser;
import dev.thaw.core.function.BuiltinFunctions;
import dev.thaw.core.function.FunctionClient;
import dev.thaw.core.function.FunctionRequest;
import dev.thaw.core.function.Revision;
import dev.thaw.core.snapshot.ChunkList;
import dev.thaw.core.snapshot.Chunker;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotManifest;
import dev.thaw.core.snapshot.SnapshotManifestCodec;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.snapshot.VariantSnapshotStore;
import dev.thaw.core.snapshot.WorkingPages;
import dev.thaw.core.vmm.MicroVm;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.node.snapshot.cache.LocalChunks;
import dev.thaw.node.snapshot.fill.ChunkAssembler;
import dev.thaw.node.snapshot.fill.LazyFill;
import dev.thaw.node.snapshot.make.Snapshotted;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import dev.thaw.s3.S3Raw;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Real QEMU snapshots through a real S3 server over HTTP. Node A makes the snapshot once; the
 * scenarios restore it on fresh nodes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SnapshotManagerIT {
  private static final String REVISION = "stateful-r1";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Path dir;
  private EmbeddedS3Server server;
  private RemoteSnapshotStore store;
  private VariantSnapshotStore view;
  private final InMemoryCacheAdvertiser ads = new InMemoryCacheAdvertiser();
  private final FunctionClient client = new FunctionClient(Duration.ofSeconds(10));
  private JsonNode firstAnswer;
  private int nodes;

  @BeforeAll
  void nodeAMakesTheSnapshotAfterTheFirstInvocation(@TempDir Path tmp) throws Exception {
    dir = tmp;
    server = EmbeddedS3Server.start(dir.resolve("s3"));
    store = store(server.endpoint());
    view = Node.view(store);
    try (Node a = node(SnapshotMode.REMOTE, true)) {
      ColdStart start = a.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      assertThat(start.source()).isEqualTo(ColdStart.Source.NONE);
      firstAnswer = invoke(start.vm());
      Snapshotted made =
          a.manager
              .snapshotAfterFirstInvocation(
                  start.vm(), BuiltinFunctions.STATEFUL, Revision.of(REVISION))
              .get();
      // The clone that verified the snapshot answers, and carries the state of the first answer.
      try (MicroVm clone = made.verifiedClone().orElseThrow()) {
        assertCarriesTheState(invoke(clone));
      }
      SnapshotManifest m = made.manifest().orElseThrow();
      assertThat(a.cache.revisions()).containsExactly(REVISION);
      assertThat(ads.revisions("node1")).containsExactly(REVISION);
      assertThat(view.revisions()).containsExactly(REVISION);
      assertThat(m.totalBytes()).isGreaterThan(BuiltinFunctions.STATEFUL.memoryBytes());

      // Local mode on the same node: a cache hit.
      ColdStart again = a.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = again.vm()) {
        assertThat(again.source()).isEqualTo(ColdStart.Source.LOCAL);
        assertCarriesTheState(invoke(vm));
      }
    }
  }

  @AfterAll
  void stop() throws Exception {
    store.close();
    server.close();
  }

  private RemoteSnapshotStore store(URI endpoint) throws Exception {
    S3ObjectStore s =
        S3ObjectStore.builder()
            .endpoint(endpoint)
            .credentials(server.credentials())
            .bucket("snapshots")
            .build();
    return RemoteSnapshotStore.builder(endpoint.equals(server.endpoint()) ? s.ensureBucket() : s)
        .build();
  }

  /**
   * A JVM on this test's class path running {@code main} with {@code first}, then the embedded
   * server's endpoint, bucket and {@link #REVISION}, and its credentials in the environment; {@code
   * wrapper} goes before the java command.
   */
  private ProcessBuilder childJvm(List<String> wrapper, Class<?> main, String first) {
    List<String> command = new ArrayList<>(wrapper);
    command.addAll(
        List.of(
            ProcessHandle.current().info().command().orElse("java"),
            "-cp",
            System.getProperty("java.class.path"),
            main.getName(),
            first,
            server.endpoint().toString(),
            "snapshots",
            REVISION));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    var credentials = server.credentials().resolveCredentials();
    pb.environment().put("AWS_ACCESS_KEY_ID", credentials.accessKeyId());
    pb.environment().put("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey());
    pb.environment().put("AWS_REGION", "us-east-1");
    return pb;
  }

  private Node node(SnapshotMode mode, boolean cacheRemote) throws Exception {
    return new Node(dir, "node" + ++nodes, mode, store, cacheRemote, ads);
  }

  private JsonNode invoke(MicroVm vm) {
    return JSON.readTree(client.get(vm.endpoint(), "/").body());
  }

  private void assertCarriesTheState(JsonNode answer) {
    assertThat(answer.get("bootId")).isEqualTo(firstAnswer.get("bootId"));
    assertThat(answer.get("checksum")).isEqualTo(firstAnswer.get("checksum"));
    assertThat(answer.get("counter").asInt()).isEqualTo(2);
  }

  @Test
  void anotherNodeRestoresFromRemoteAndThenFromItsCache() throws Exception {
    try (Node b = node(SnapshotMode.REMOTE, true)) {
      ColdStart remote = b.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = remote.vm()) {
        assertThat(remote.source()).isEqualTo(ColdStart.Source.REMOTE);
        assertThat(remote.fetch()).isPositive();
        assertCarriesTheState(invoke(vm));
        // QEMU started while the chunks arrived: every page of the 32 MiB state must be intact.
        assertThat(
                JSON.readTree(client.get(vm.endpoint(), "/verify").body())
                    .get("intact")
                    .asBoolean())
            .isTrue();
      }
      assertThat(b.cache.revisions()).containsExactly(REVISION);
      ColdStart local = b.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = local.vm()) {
        assertThat(local.source()).isEqualTo(ColdStart.Source.LOCAL);
        assertCarriesTheState(invoke(vm));
      }
      assertThat(b.fetches()).isEqualTo(1);
    }
  }

  @Test
  void aSnapshotStoredAsWholeFilesInTheFirstFormatStillRestores() throws Exception {
    SnapshotManifest good = SnapshotManifestCodec.parse(view.manifest(REVISION).orElseThrow());
    Path copy = Files.createDirectories(dir.resolve("whole-files"));
    ChunkAssembler.allocate(good, copy);
    try (ChunkAssembler assembler = new ChunkAssembler(store, 4)) {
      assembler.assemble(good, copy, LocalChunks.none());
    }
    try (RemoteSnapshotStore v1 =
            RemoteSnapshotStore.builder(
                    S3ObjectStore.builder()
                        .server(server)
                        .bucket("snapshots")
                        .prefix("v1/")
                        .build())
                .wholeFiles(true)
                .build();
        Node n = new Node(dir, "v1-node", SnapshotMode.REMOTE, v1, true, ads)) {
      Node.view(v1).upload(good, copy);
      assertThat(
              SnapshotManifestCodec.parse(Node.view(v1).manifest(REVISION).orElseThrow())
                  .formatVersion())
          .isEqualTo(SnapshotManifest.WHOLE_FILE_FORMAT);
      ColdStart remote = n.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = remote.vm()) {
        assertThat(remote.source()).isEqualTo(ColdStart.Source.REMOTE);
        assertCarriesTheState(invoke(vm));
      }
      ColdStart local = n.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = local.vm()) {
        assertThat(local.source()).isEqualTo(ColdStart.Source.LOCAL);
        assertCarriesTheState(invoke(vm));
      }
    }
  }

  @Test
  void aLazyRestoreFetchesEveryPageOnDemandAndEndsAsAVerifiedCacheEntry() throws Exception {
    // Node A recorded no working set: the guest resumes on its device state alone, and every
    // page it touches is fetched while it waits, through the FUSE server.
    try (FuseFileServer files = FuseFileServer.mount(dir.resolve("served"));
        Node lazy =
            new Node(dir, "lazy", SnapshotMode.REMOTE, store, true, ads, b -> b.files(files))) {
      ColdStart remote = lazy.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = remote.vm()) {
        assertThat(remote.source()).isEqualTo(ColdStart.Source.REMOTE);
        // QEMU ran with no-thp.so: its mapping of the served memory file lacks the huge-page
        // advice (with it, each fault would have the kernel read 4 MiB through the server).
        assertThat(memoryMappingFlags(dir.resolve("served"))).isNotEmpty().doesNotContain("hg");
        assertCarriesTheState(invoke(vm));
        // Every page of the 32 MiB state, touched by the guest, arrived intact.
        assertThat(
                JSON.readTree(client.get(vm.endpoint(), "/verify").body())
                    .get("intact")
                    .asBoolean())
            .isTrue();
      }
      lazy.manager.awaitBackgroundFetches();
      assertThat(lazy.cache.revisions()).containsExactly(REVISION);
      try (CachedSnapshot entry = lazy.cache.acquire(REVISION).orElseThrow()) {
        // Every chunk of the finished entry matches the manifest: the same bytes as node A's.
        SnapshotManifestCodec.verifyFiles(entry.manifest(), entry.dir());
      }
      ColdStart local = lazy.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = local.vm()) {
        assertThat(local.source()).isEqualTo(ColdStart.Source.LOCAL);
        // From the plain cached file, QEMU runs as it is, and advises huge pages.
        try (CachedSnapshot entry = lazy.cache.acquire(REVISION).orElseThrow()) {
          assertThat(memoryMappingFlags(entry.dir())).contains("hg");
        }
        assertCarriesTheState(invoke(vm));
      }
    }
    assertThat(FuseFileServer.isMounted(dir.resolve("served"))).isFalse();
  }

  @Test
  void aRecordedWorkingSetComesAsOneObjectAndTheGuestResumesOnIt() throws Exception {
    // A node with a file server records what the verifying clone reads while it resumes and
    // answers a repeat of the first request; another node fetches those pages first.
    String revision = "stateful-ws";
    Path served = dir.resolve("served-ws");
    try (FuseFileServer files = FuseFileServer.mount(served, 0)) {
      SnapshotManifest m;
      try (Node maker =
          new Node(dir, "ws-maker", SnapshotMode.REMOTE, store, true, ads, b -> b.files(files))) {
        ColdStart first = maker.manager.start(BuiltinFunctions.STATEFUL, Revision.of(revision));
        invoke(first.vm());
        Snapshotted made =
            maker
                .manager
                .snapshotAfterFirstInvocation(
                    first.vm(),
                    BuiltinFunctions.STATEFUL,
                    Revision.of(revision),
                    Optional.of(FunctionRequest.get("/")))
                .get();
        made.verifiedClone().ifPresent(MicroVm::close);
        m = made.manifest().orElseThrow();
      }
      ChunkList memory = m.file(SnapshotFile.Role.MEMORY).orElseThrow().chunks();
      assertThat(memory.firstTouch()).isNotEmpty();
      WorkingPages pages = memory.pages();
      assertThat(pages).isNotNull();
      // Hundreds of pages, a small part of the guest's memory.
      assertThat(pages.pages()).isBetween(100L, BuiltinFunctions.STATEFUL.memoryBytes() / 4096 / 8);
      long stored =
          m.chunks().values().stream().mapToLong(Integer::longValue).sum(); // decoded bytes
      try (Node lazy =
          new Node(dir, "ws-lazy", SnapshotMode.REMOTE, store, true, ads, b -> b.files(files))) {
        long before = store.receivedBytes();
        ColdStart remote = lazy.manager.start(BuiltinFunctions.STATEFUL, Revision.of(revision));
        long answered = store.receivedBytes() - before;
        try (MicroVm vm = remote.vm()) {
          assertThat(remote.source()).isEqualTo(ColdStart.Source.REMOTE);
          JsonNode answer = invoke(vm);
          assertThat(answer.get("checksum")).isNotNull();
          remote.firstAnswered();
          assertThat(
                  JSON.readTree(client.get(vm.endpoint(), "/verify").body())
                      .get("intact")
                      .asBoolean())
              .isTrue();
        }
        // The guest answered on a small part of the snapshot.
        assertThat(answered).isLessThan(stored / 8);
        lazy.manager.awaitBackgroundFetches();
        try (CachedSnapshot entry = lazy.cache.acquire(revision).orElseThrow()) {
          SnapshotManifestCodec.verifyFiles(entry.manifest(), entry.dir());
        }
      }
    } finally {
      view.delete(revision);
    }
    assertThat(FuseFileServer.isMounted(served)).isFalse();
  }

  @ParameterizedTest
  @EnumSource(
      value = FaultyObjectStore.Fault.class,
      names = {"DOWN", "CORRUPT"})
  void aLazyRestoreWhoseStorageFailsMidRunFailsTheReadNeverHangsAndCachesNothing(
      FaultyObjectStore.Fault fault) throws Exception {
    // No working set was recorded: every page the guest touches after it answered comes on
    // demand, and /verify touches all 32 MiB of its state after storage has failed.
    FaultyObjectStore faulty =
        new FaultyObjectStore(
            S3ObjectStore.builder()
                .endpoint(server.endpoint())
                .credentials(server.credentials())
                .bucket("snapshots")
                .build());
    Path served = dir.resolve("served-" + fault.name().toLowerCase(java.util.Locale.ROOT));
    try (RemoteSnapshotStore failing = RemoteSnapshotStore.builder(faulty).build();
        FuseFileServer files = FuseFileServer.mount(served, 0);
        Node lazy =
            new Node(
                dir,
                "faulty-" + fault.name().toLowerCase(java.util.Locale.ROOT),
                SnapshotMode.REMOTE,
                failing,
                true,
                ads,
                b -> b.files(files))) {
      ColdStart remote = lazy.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      assertThat(remote.source()).isEqualTo(ColdStart.Source.REMOTE);
      try (MicroVm vm = remote.vm()) {
        faulty.set(fault);
        remote.firstAnswered();
        long t0 = System.nanoTime();
        // The guest's read fails (QEMU gets an I/O error for the page and stops): the request
        // fails, well within the time a read may wait for its chunk.
        assertThatThrownBy(() -> client.get(vm.endpoint(), "/verify"))
            .isInstanceOf(RuntimeException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t0))
            .isLessThan(LazyFill.READ_WAIT.plusSeconds(10));
      }
      lazy.manager.awaitBackgroundFetches();
      // Nothing partial entered the cache, nor is left in it.
      assertThat(lazy.cache.revisions()).doesNotContain(REVISION);
      // Storage back: the next cold start restores a whole, working snapshot.
      faulty.set(FaultyObjectStore.Fault.NONE);
      ColdStart again = lazy.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = again.vm()) {
        assertThat(again.source()).isEqualTo(ColdStart.Source.REMOTE);
        assertCarriesTheState(invoke(vm));
      }
    }
    assertThat(FuseFileServer.isMounted(served)).isFalse();
    assertThat(qemuChildren()).isEmpty();
  }

  /**
   * The VmFlags of the mappings QEMU processes of this JVM have of files under {@code dir} (from
   * {@code /proc/<pid>/smaps}); {@code hg}: huge pages advised.
   */
  private static List<String> memoryMappingFlags(Path dir) throws IOException {
    String prefix = dir.toAbsolutePath().toRealPath().toString();
    List<String> flags = new ArrayList<>();
    for (ProcessHandle qemu : qemuChildren()) {
      List<String> lines = Files.readAllLines(Path.of("/proc", qemu.pid() + "", "smaps"));
      boolean ours = false;
      for (String line : lines) {
        if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
          ours = line.contains(" " + prefix + "/");
        } else if (ours && line.startsWith("VmFlags:")) {
          flags.addAll(List.of(line.substring("VmFlags:".length()).trim().split(" ")));
        }
      }
    }
    return flags;
  }

  /** QEMU processes this JVM started that still run. */
  private static List<ProcessHandle> qemuChildren() {
    return ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().command().orElse("").contains("qemu-system"))
        .toList();
  }

  @Test
  void remoteWithoutCacheFetchesForEveryColdStartAndKeepsNothing() throws Exception {
    try (Node c = node(SnapshotMode.REMOTE, false)) {
      for (int i = 0; i < 2; i++) {
        ColdStart start = c.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
        try (MicroVm vm = start.vm()) {
          assertThat(start.source()).isEqualTo(ColdStart.Source.REMOTE);
          assertCarriesTheState(invoke(vm));
        }
      }
      assertThat(c.fetches()).isEqualTo(2);
      assertThat(c.cache.revisions()).isEmpty();
      try (var left = Files.list(dir.resolve("node" + nodes).resolve("scratch"))) {
        assertThat(left).isEmpty();
      }
    }
  }

  @Test
  void lazyWithoutCacheServesThroughTheSameServerAndForgetsTheChunks() throws Exception {
    Path served = dir.resolve("served-uncached");
    try (FuseFileServer files = FuseFileServer.mount(served, 0);
        Node c =
            new Node(
                dir,
                "lazy-uncached",
                SnapshotMode.REMOTE,
                store,
                false,
                ads,
                b -> b.files(files))) {
      for (int i = 0; i < 2; i++) {
        ColdStart start = c.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
        try (MicroVm vm = start.vm()) {
          assertThat(start.source()).isEqualTo(ColdStart.Source.REMOTE);
          assertCarriesTheState(invoke(vm));
          start.firstAnswered();
          assertThat(
                  JSON.readTree(client.get(vm.endpoint(), "/verify").body())
                      .get("intact")
                      .asBoolean())
              .isTrue();
        }
      }
      c.manager.awaitBackgroundFetches();
      assertThat(c.cache.revisions()).isEmpty();
      // The fetched files go once their fill has ended and their VM has stopped.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                try (var left = Files.list(dir.resolve("lazy-uncached").resolve("scratch"))) {
                  assertThat(left).isEmpty();
                }
              });
    }
    assertThat(FuseFileServer.isMounted(served)).isFalse();
  }

  @Test
  void eightConcurrentColdStartsOfOneRevisionShareOneDownload() throws Exception {
    try (Node d = node(SnapshotMode.REMOTE, true)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<ColdStart> starts = new ArrayList<>();
      try {
        List<Future<ColdStart>> futures = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          futures.add(
              pool.submit(() -> d.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION))));
        }
        for (Future<ColdStart> f : futures) {
          starts.add(f.get());
        }
        for (ColdStart s : starts) {
          assertThat(s.source()).isIn(ColdStart.Source.REMOTE, ColdStart.Source.LOCAL);
          assertCarriesTheState(invoke(s.vm()));
        }
      } finally {
        starts.forEach(s -> s.vm().close());
        pool.shutdownNow();
      }
      assertThat(d.fetches()).isEqualTo(1);
    }
  }

  /**
   * A lazy leader's guest answers before its fill ends: the cold starts beside it, and those that
   * arrive after its guest answered, wait for the fill to commit the entry and restore from it,
   * rather than each fetching the snapshot again (the cold burst of {@code thaw bench load}).
   */
  @Test
  void fourConcurrentLazyColdStartsOfOneRevisionShareOneDownload() throws Exception {
    try (FuseFileServer files = FuseFileServer.mount(dir.resolve("served-burst"));
        Node lazy =
            new Node(
                dir, "lazy-burst", SnapshotMode.REMOTE, store, true, ads, b -> b.files(files))) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<ColdStart> starts = new ArrayList<>();
      try {
        List<Future<ColdStart>> futures = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          futures.add(
              pool.submit(
                  () -> lazy.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION))));
        }
        for (Future<ColdStart> f : futures) {
          starts.add(f.get());
        }
        for (ColdStart s : starts) {
          assertThat(s.source()).isIn(ColdStart.Source.REMOTE, ColdStart.Source.LOCAL);
          assertThat(s.fallback()).isEmpty();
          assertCarriesTheState(invoke(s.vm()));
        }
      } finally {
        starts.forEach(s -> s.vm().close());
        pool.shutdownNow();
      }
      lazy.manager.awaitBackgroundFetches();
      assertThat(lazy.fetches()).isEqualTo(1);
    }
  }

  @Test
  void aCorruptChunkIsRefetchedOnceNeverCachedAndTheColdStartBootsSayingWhy() throws Exception {
    String bad = "stateful-corrupt";
    SnapshotManifest good = SnapshotManifestCodec.parse(view.manifest(REVISION).orElseThrow());
    Path copy = Files.createDirectories(dir.resolve("corrupt"));
    try (Node e = node(SnapshotMode.REMOTE, true)) {
      // The same snapshot under another revision, but for a state chunk of its own, whose object
      // is then overwritten with another chunk's (valid zstd) bytes.
      ChunkAssembler.allocate(good, copy);
      try (ChunkAssembler assembler = new ChunkAssembler(store, 4)) {
        assembler.assemble(good, copy, LocalChunks.none());
      }
      Path state = copy.resolve("state");
      Files.write(state, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
      var files = new ArrayList<SnapshotFile>();
      for (SnapshotFile f : good.files()) {
        Path p = copy.resolve(f.name());
        files.add(
            SnapshotFile.chunked(
                f.name(), f.role(), Files.size(p), Chunker.describe(p, f.chunks().size())));
      }
      SnapshotManifest renamed =
          new SnapshotManifest(
              good.formatVersion(),
              bad,
              good.function(),
              good.vmm(),
              good.guest(),
              good.createdAt(),
              files);
      view.upload(renamed, copy);
      String own = renamed.file(SnapshotFile.Role.STATE).orElseThrow().chunks().sha256().get(0);
      byte[] other = com.github.luben.zstd.Zstd.compress(new byte[(int) Files.size(state)]);
      S3Raw.put(server, "snapshots", "_chunks/" + own.substring(0, 2) + "/" + own, other);
      // And its copy in the revision's pack: every stored byte of the pack garbled.
      var pack = view.packIndex(bad).orElseThrow();
      long packBytes = pack.entries().get(pack.entries().size() - 1).end();
      S3Raw.put(server, "snapshots", view.name(bad) + "/_pack", new byte[(int) packBytes]);

      ColdStart start = e.manager.start(BuiltinFunctions.STATEFUL, Revision.of(bad));
      try (MicroVm vm = start.vm()) {
        assertThat(start.source()).isEqualTo(ColdStart.Source.NONE);
        assertThat(start.fallback())
            .hasValueSatisfying(
                why -> assertThat(why).contains("chunk " + own + " is corrupt", "fetched twice"));
        assertThat(invoke(vm).get("counter").asInt()).isEqualTo(1);
      }
      assertThat(e.cache.revisions()).isEmpty();
      try (var partial =
          Files.list(dir.resolve("node" + nodes).resolve("cache").resolve("incoming"))) {
        assertThat(partial).as("no half-written entry").isEmpty();
      }
    }
  }

  @Test
  void unsafeUnknownAndForeignManifestsAreRefusedAndTheColdStartBoots() throws Exception {
    String good = view.manifest(REVISION).orElseThrow();
    var cases =
        java.util.Map.of(
            "evil-path", good.replace("\"name\" : \"state\"", "\"name\" : \"../state\""),
            "future-format", good.replace("\"formatVersion\" : 2", "\"formatVersion\" : 3"),
            "other-vmm", good.replace("\"accelerator\" : \"tcg\"", "\"accelerator\" : \"kvm\""));
    try (Node g = node(SnapshotMode.REMOTE, true)) {
      for (var c : cases.entrySet()) {
        assertThat(c.getValue()).isNotEqualTo(good);
        S3Raw.put(
            server, "snapshots", view.name(c.getKey()) + "/manifest.json", c.getValue().getBytes());
        ColdStart start = g.manager.start(BuiltinFunctions.HELLO, Revision.of(c.getKey()));
        start.vm().close();
        assertThat(start.source()).isEqualTo(ColdStart.Source.NONE);
        assertThat(start.fallback())
            .as(c.getKey())
            .hasValueSatisfying(why -> assertThat(why).startsWith("snapshot refused"));
      }
      assertThat(g.cache.revisions()).isEmpty();
    }
  }

  @Test
  void aProcessKilledMidFetchLeavesNoVisibleEntryAfterRestart() throws Exception {
    Path cacheDir = dir.resolve("killed").resolve("cache");
    Process child = childJvm(List.of(), FetchThenHang.class, cacheDir.toString()).start();
    try (var lines = child.inputReader()) {
      // Kill it as soon as the first file is on disk: mid-fetch, before any commit.
      String line;
      while ((line = lines.readLine()) != null && !line.startsWith("fetched")) {
        System.out.println("child: " + line);
      }
      assertThat(line).as("the child fetched a file before dying").isNotNull();
    } finally {
      child.destroyForcibly().waitFor();
    }
    try (var partial = Files.list(cacheDir.resolve("incoming"))) {
      assertThat(partial).as("the killed fetch left its partial directory").isNotEmpty();
    }

    // Reopening the cache directory is what an agent restart does.
    try (Node after = new Node(dir, "killed", SnapshotMode.REMOTE, store, true, ads)) {
      assertThat(after.cache.revisions()).isEmpty();
      assertThat(after.cache.usedBytes()).isZero();
      try (var partial = Files.list(cacheDir.resolve("incoming"))) {
        assertThat(partial).isEmpty();
      }
      try (var entries = Files.list(cacheDir.resolve("entries"))) {
        assertThat(entries).isEmpty();
      }
    }
  }

  @Test
  void onAFullDiskTheFetchAndTheSnapshotFailCleanlyAndTheColdStartBoots() throws Exception {
    // The node's cache gets a filesystem of its own, 8 MiB, in a private mount namespace: the
    // snapshot's chunks do not fit, and nothing outside the child process sees the mount.
    assumeTrue(
        new ProcessBuilder("unshare", "-rm", "true").start().waitFor() == 0,
        "needs unshare -rm (user and mount namespaces)");
    Path cacheDir = Files.createDirectories(dir.resolve("full").resolve("cache"));
    List<String> inTinyFilesystem =
        List.of(
            "unshare",
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=8m thaw-full \"$0\" && exec \"$@\"",
            cacheDir.toString());
    Process child = childJvm(inTinyFilesystem, ColdStartOnFullDisk.class, dir.toString()).start();
    List<String> said = new ArrayList<>();
    try (var lines = child.inputReader()) {
      String line;
      while ((line = lines.readLine()) != null) {
        System.out.println("child: " + line);
        said.add(line);
      }
      assertThat(child.waitFor(180, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly().waitFor();
    }
    assertThat(child.exitValue()).as("child said %s", said).isZero();
    assertThat(said)
        .contains("source NONE")
        .anyMatch(
            l ->
                l.startsWith("fallback local cache unusable: cannot write ")
                    && l.contains("No space left on device"))
        .anyMatch(l -> l.startsWith("snapshot failed: ") && l.contains("No space left on device"))
        .contains("cached []", "used 0", "incoming []", "entries []");
    try (var outside = Files.list(cacheDir)) {
      assertThat(outside).as("the mount stayed in the child").isEmpty();
    }
  }

  @Test
  void unreachableStorageBootsFreshWithOneClearReason() throws Exception {
    try (RemoteSnapshotStore nowhere = store(URI.create("http://127.0.0.1:9"));
        Node f = new Node(dir, "offline", SnapshotMode.REMOTE, nowhere, true, ads)) {
      ColdStart start = f.manager.start(BuiltinFunctions.STATEFUL, Revision.of(REVISION));
      try (MicroVm vm = start.vm()) {
        assertThat(start.source()).isEqualTo(ColdStart.Source.NONE);
        assertThat(start.fallback())
            .hasValueSatisfying(why -> assertThat(why).contains("remote storage unusable"));
      }
    }
  }
}
