package dev.thaw.node.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.thaw.core.function.FunctionSpec;
import dev.thaw.core.function.Revision;
import dev.thaw.core.io.Digests;
import dev.thaw.core.snapshot.SnapshotFile;
import dev.thaw.core.snapshot.SnapshotMode;
import dev.thaw.core.store.ObjectStore;
import dev.thaw.fuse.FuseFileServer;
import dev.thaw.http.BearerToken;
import dev.thaw.image.ExampleImages;
import dev.thaw.image.FilesystemFormat;
import dev.thaw.image.ImageSources;
import dev.thaw.image.LayoutPusher;
import dev.thaw.image.RegistryServer;
import dev.thaw.image.RootImageBuilder;
import dev.thaw.image.RootImageCache;
import dev.thaw.node.remote.RemoteRootImages;
import dev.thaw.node.remote.RemoteSnapshotStore;
import dev.thaw.node.snapshot.SnapshotNode;
import dev.thaw.node.snapshot.cache.CachedSnapshot;
import dev.thaw.qemu.GuestImage;
import dev.thaw.qemu.QemuVmm;
import dev.thaw.s3.EmbeddedS3Server;
import dev.thaw.s3.S3ObjectStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root images served as they fill, on real parts (QEMU, an S3 server over HTTP, a registry, FUSE):
 * the Python image's function boots on one node, whose snapshot and root image go to S3; nodes that
 * have neither restore it, each deploying the image without fetching it. One answers on fewer
 * root-image bytes than the image holds and then commits the whole image to its cache; one whose
 * image chunks are corrupt, and one whose storage stops serving them mid-fill, make no cache entry,
 * keep no served file and boot their next cold start.
 */
class LazyRootImageIT {
  private static final BearerToken TOKEN = BearerToken.generate();
  private static final GuestImage IMAGE = GuestImage.ensure(System.out::println);
  private static final Revision PY = Revision.of("py");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    // No mount is left behind by any node.
    assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dir.toString());
  }

  private <T extends AutoCloseable> T keep(T c) {
    open.add(c);
    return c;
  }

  private record Node(
      NodeAgent agent,
      AgentServer server,
      SnapshotNode snapshots,
      RootImageCache images,
      LazyRootImages lazy) {}

  /** A node with its own image cache and file server, reading storage through {@code objects}. */
  private Node node(String name, ObjectStore objects) throws Exception {
    Path data = dir.resolve(name);
    RemoteSnapshotStore remote = keep(RemoteSnapshotStore.builder(objects).build());
    FuseFileServer files = keep(FuseFileServer.mount(data.resolve("served")));
    RootImageCache cache = RootImageCache.open(data.resolve("images"), 4L << 30, Instant::now);
    ImageFunctions images =
        new ImageFunctions(
            RootImageBuilder.builder(cache).build(),
            ImageSources.Registries.fromEnvironment(Map.of()),
            remote.rootImages());
    LazyRootImages lazy = images.lazily(files);
    QemuVmm vmm = QemuVmm.builder().image(IMAGE).workRoot(data.resolve("vms")).build();
    SnapshotNode snapshots =
        keep(
            SnapshotNode.builder(vmm, IMAGE.digests(), data)
                .manager(
                    b ->
                        b.mode(SnapshotMode.REMOTE)
                            .readyTimeout(Duration.ofMinutes(6))
                            .remote(remote)
                            .rootImages(lazy)
                            .files(files))
                .build());
    NodeAgent agent =
        keep(
            NodeAgent.builder()
                .name(name)
                .manager(snapshots.manager())
                .keepAlive(Duration.ofMinutes(5))
                .images(images)
                .build());
    AgentServer server =
        keep(AgentServer.builder(agent, TOKEN).snapshots(snapshots.cache()::revisions).start());
    return new Node(agent, server, snapshots, cache, lazy);
  }

  private HttpResponse<String> send(URI base, String method, String path, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", TOKEN.authorization())
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .timeout(Duration.ofMinutes(8))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> deploy(Node n, String reference) throws Exception {
    return send(n.server().uri(), "PUT", "/functions/py", "{\"image\":\"" + reference + "\"}");
  }

  private HttpResponse<String> invoke(Node n) throws Exception {
    return send(n.server().uri(), "POST", "/functions/py/invoke?path=/", "");
  }

  private static String source(HttpResponse<String> r) {
    return r.headers().firstValue("X-Thaw-Source").orElse("");
  }

  @Test
  void aNodeWithoutImageOrSnapshotAnswersOnPartOfTheImageAndFaultsLeaveNoEntry() throws Exception {
    ExampleImages examples = ExampleImages.ensure(System.out::println);
    RegistryServer registry = keep(RegistryServer.start(dir.resolve("registry"), Optional.empty()));
    String reference = registry.host() + "/fn/python:v1";
    String digest =
        new LayoutPusher(registry.url(), "fn/python").pushLayout(examples.python(), "v1");
    EmbeddedS3Server s3 = keep(EmbeddedS3Server.start(dir.resolve("s3")));
    S3ObjectStore objects =
        keep(S3ObjectStore.builder().server(s3).bucket("snapshots").build().ensureBucket());

    // n1 builds the image (and stores it), boots the function and makes its snapshot.
    Node n1 = node("n1", objects);
    assertThat(deploy(n1, reference).statusCode()).isEqualTo(200);
    HttpResponse<String> booted = invoke(n1);
    assertThat(booted.body()).isEqualTo("hello from python\n");
    assertThat(source(booted)).isEqualTo("none");
    RemoteSnapshotStore reader = keep(RemoteSnapshotStore.builder(objects).build());
    await()
        .atMost(Duration.ofMinutes(4))
        .until(
            () ->
                !reader.revisions().isEmpty()
                    && n1.snapshots().cache().revisions().contains("py")
                    && !n1.agent().instances().isEmpty());
    RemoteRootImages.Stored image =
        reader.rootImages().find(digest, FilesystemFormat.EROFS).orElseThrow();
    Set<String> imageOnly = imageOnlyChunks(n1, image);
    // The verifying clone read part of the root image, recorded for the restores elsewhere.
    List<Integer> reads;
    try (CachedSnapshot s = n1.snapshots().cache().acquire("py").orElseThrow()) {
      reads = s.manifest().rootImageReads();
    }
    System.out.printf(
        "root-image chunks the verifying clone read: %d of %d%n",
        reads.size(), image.chunks().sha256().size());
    assertThat(reads).isNotEmpty().doesNotHaveDuplicates();
    assertThat(reads.size()).isLessThan(image.chunks().sha256().size());
    long storedImageBytes = storedBytes(objects, image);

    // n2 has neither image nor snapshot; its deploy takes none of the image.
    Node n2 = node("n2", objects);
    assertThat(deploy(n2, reference).statusCode()).isEqualTo(200);
    FunctionSpec onN2 = n2.agent().functions().get("py");
    assertThat(onN2.image().rootfs()).startsWithRaw(dir.resolve("n2")).doesNotExist();
    HttpResponse<String> restored = invoke(n2);
    assertThat(restored.statusCode()).as(restored.body()).isEqualTo(200);
    assertThat(restored.body()).isEqualTo("hello from python\n");
    assertThat(source(restored)).isEqualTo("remote");
    assertThat(n2.snapshots().manager().lazyRestores()).isEqualTo(1);
    long before = n2.snapshots().manager().rootImageBytesBeforeAnswers();
    System.out.printf(
        "root image: %d bytes (%d stored); %d bytes fetched before the first answer%n",
        image.sizeBytes(), storedImageBytes, before);
    assertThat(before).isLessThan(storedImageBytes).isLessThan(image.sizeBytes());
    // The rest followed, was checked whole and committed; the function's own path now has it.
    await()
        .atMost(Duration.ofMinutes(3))
        .until(() -> n2.images().get(digest, FilesystemFormat.EROFS).isPresent());
    assertThat(Digests.sha256(onN2.image().rootfs())).isEqualTo(image.sha256());
    assertThat(n2.lazy().failures()).isZero();

    // A node whose image chunks come corrupt, and one whose storage stops serving them mid-fill.
    // (n1's copy of the image is moved aside: a node elsewhere has no file at the path the
    // snapshot names.)
    Path n1Entry = n1.agent().functions().get("py").image().rootfs().getParent();
    Files.move(n1Entry, n1Entry.resolveSibling("aside"));
    faultyNode(
        "n3",
        objects,
        imageOnly,
        ImageChunkFaults.Fault.CORRUPT,
        digest,
        reference,
        image.sha256());
    faultyNode(
        "n4",
        objects,
        imageOnly,
        ImageChunkFaults.Fault.DOWN_MID_FILL,
        digest,
        reference,
        image.sha256());

    // A node that deploys the image storage holds under a revision no snapshot exists of: the
    // restore finds none, and the boot takes the image whole (the fill begun for the restore is
    // let go on, not left holding the image for a guest that will never answer).
    Node n5 = node("n5", objects);
    URI n5uri = n5.server().uri();
    String spec = "{\"image\":\"" + reference + "\"}";
    assertThat(send(n5uri, "PUT", "/functions/py2", spec).statusCode()).isEqualTo(200);
    HttpResponse<String> boot = send(n5uri, "POST", "/functions/py2/invoke?path=/", "");
    assertThat(boot.statusCode()).as(boot.body()).isEqualTo(200);
    assertThat(boot.body()).isEqualTo("hello from python\n");
    assertThat(source(boot)).isEqualTo("none");
  }

  /**
   * Restores on a node whose image chunks {@code fault} spoils: the fill fails with its reason, no
   * entry is half-written (an entry there is the whole image, built from the registry by a boot),
   * nothing stays served, and a cold start boots: the first (the restore failed with the image) or
   * the next (the image cannot be had from storage whole either).
   */
  private void faultyNode(
      String name,
      ObjectStore objects,
      Set<String> imageOnly,
      ImageChunkFaults.Fault fault,
      String digest,
      String reference,
      String sha256)
      throws Exception {
    ImageChunkFaults faulty = new ImageChunkFaults(objects, imageOnly, fault);
    Node n = node(name, faulty);
    assertThat(deploy(n, reference).statusCode()).isEqualTo(200);
    HttpResponse<String> first = invoke(n);
    System.out.printf(
        "%s (%s): first invocation %d %s, source %s%n",
        name, fault, first.statusCode(), first.body().strip(), source(first));
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    await().atMost(Duration.ofMinutes(2)).until(() -> n.lazy().failures() == 1);
    try (Stream<Path> tmp = Files.list(dir.resolve(name).resolve("images").resolve("tmp"))) {
      assertThat(tmp).as("no half-written entry").isEmpty();
    }
    Optional<dev.thaw.image.RootImage> entry = n.images().get(digest, FilesystemFormat.EROFS);
    if (entry.isPresent()) {
      assertThat(Digests.sha256(entry.get().file())).isEqualTo(sha256);
    }
    // Nothing stays served: the failed fill's name is withdrawn at once, and the snapshot a boot
    // of this node may be making meanwhile serves its verifying clone only until it is verified.
    await()
        .atMost(Duration.ofMinutes(3))
        .untilAsserted(
            () -> {
              try (Stream<Path> served = Files.list(dir.resolve(name).resolve("served"))) {
                assertThat(served).as("nothing served").isEmpty();
              }
            });

    n.agent().stopIdle(PY);
    HttpResponse<String> next = invoke(n);
    System.out.printf(
        "%s (%s): next invocation %d %s, source %s%n",
        name, fault, next.statusCode(), next.body().strip(), source(next));
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(next.body()).isEqualTo("hello from python\n");
    assertThat(List.of(source(first), source(next))).contains("none");
    assertThat(n.lazy().failures()).isEqualTo(1);
    assertThat(Digests.sha256(n.images().get(digest, FilesystemFormat.EROFS).orElseThrow().file()))
        .isEqualTo(sha256);
  }

  /** The image's chunks that no file of n1's snapshot holds. */
  private static Set<String> imageOnlyChunks(Node n1, RemoteRootImages.Stored image) {
    Set<String> chunks = new HashSet<>();
    image.chunks().sha256().stream().filter(Objects::nonNull).forEach(chunks::add);
    try (CachedSnapshot s = n1.snapshots().cache().acquire("py").orElseThrow()) {
      for (SnapshotFile f : s.manifest().files()) {
        f.chunks().sha256().forEach(chunks::remove);
      }
    }
    return chunks;
  }

  private static long storedBytes(ObjectStore objects, RemoteRootImages.Stored image)
      throws IOException {
    long total = 0;
    for (String d : new HashSet<>(image.chunks().sha256())) {
      if (d != null) {
        total += objects.head("_chunks/" + d.substring(0, 2) + "/" + d).orElseThrow().size();
      }
    }
    return total;
  }

  /**
   * Remote storage, read-only, as a node sees it when some of its chunks (a root image's) are
   * spoilt: each comes back damaged ({@link Fault#CORRUPT}), or the first few come and then storage
   * fails every read of them ({@link Fault#DOWN_MID_FILL}).
   */
  static final class ImageChunkFaults implements ObjectStore {
    enum Fault {
      CORRUPT,
      DOWN_MID_FILL
    }

    private final ObjectStore real;
    private final Set<String> spoilt;
    private final Fault fault;
    private final AtomicInteger served = new AtomicInteger();

    ImageChunkFaults(ObjectStore real, Set<String> spoilt, Fault fault) {
      this.real = real;
      this.spoilt = Set.copyOf(spoilt);
      this.fault = fault;
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
      Optional<byte[]> got = real.get(key);
      String name = key.substring(key.lastIndexOf('/') + 1);
      if (got.isEmpty() || !key.startsWith("_chunks/") || !spoilt.contains(name)) {
        return got;
      }
      if (fault == Fault.DOWN_MID_FILL) {
        if (served.incrementAndGet() > 3) {
          throw new IOException("storage unreachable (test): " + key);
        }
        return got;
      }
      byte[] copy = got.get().clone();
      copy[copy.length / 2] ^= 0x5a;
      return Optional.of(copy);
    }

    @Override
    public byte[] getRange(String key, long offset, int length) throws IOException {
      return real.getRange(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> head(String key) throws IOException {
      return real.head(key);
    }

    // Read-only: a boot on such a node uploads no snapshot over the one the others restore.
    @Override
    public void put(String key, byte[] content) throws IOException {
      throw new IOException("read-only (test): " + key);
    }

    @Override
    public void put(String key, Path file) throws IOException {
      throw new IOException("read-only (test): " + key);
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
      return real.list(prefix);
    }

    @Override
    public List<String> listFolders(String prefix) throws IOException {
      return real.listFolders(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
      real.delete(key);
    }

    @Override
    public void delete(Collection<String> keys) throws IOException {
      real.delete(keys);
    }

    @Override
    public String describe() {
      return "spoilt " + real.describe();
    }

    @Override
    public void close() {}
  }
}
